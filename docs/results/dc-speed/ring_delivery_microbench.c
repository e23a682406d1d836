/* Throwaway microbenchmark (eleventh session): delayed delivery into a 20-slot ring at the
 * 6,400-E scale, 7 input spikes a step, blocks of 256 E neurons, 20,000 steps.
 *   gcc -O3 -march=native -fopenmp -DHOT=0 ring_delivery_microbench.c -o mb; ./mb THREADS MODE
 * HOT=1 (twelfth session): the same 7 rows spike every step, so they stay in cache (the
 * compute alone); HOT=0: the rows walk through the whole matrix, as in a run.
 * MODE 0: AVX-512 gather/add/scatter per 16 synapses (the delivery before); 1: 8 ring slots
 * in registers, masked adds; 2: 10 slots (kept in src/models/dc_delay.c); 3: all 20 slots;
 * 4: 10 slots with masks read from a precomputed table. Every mode prints the same hash
 * (bitwise the same sums). */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <omp.h>
#include <immintrin.h>
#ifndef HOT
#define HOT 0
#endif
#define NP 6400
#define K 20
#define KG 24 /* K rounded up to groups of 8 */
static float *w, *g, *gee; static uint8_t *d;
static void scatter(int i,int base,int j0,int j1){ const float *row=w+(size_t)i*NP; const uint8_t *dd=d+(size_t)i*NP; int j=j0;
  const __m512i vb=_mm512_set1_epi32(base),vk=_mm512_set1_epi32(K),vnp=_mm512_set1_epi32(NP),lane=_mm512_setr_epi32(0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15);
  for(;j+16<=j1;j+=16){ __m512i s=_mm512_add_epi32(vb,_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(dd+j)))); s=_mm512_mask_sub_epi32(s,_mm512_cmpge_epi32_mask(s,vk),s,vk);
    const __m512i idx=_mm512_add_epi32(_mm512_mullo_epi32(s,vnp),_mm512_add_epi32(_mm512_set1_epi32(j),lane));
    const __m512 sum=_mm512_add_ps(_mm512_i32gather_ps(idx,g,4),_mm512_loadu_ps(row+j)); _mm512_i32scatter_ps(g,idx,sum,4);} }
/* register accumulation: rows[d] = ring row of delay d (d<K), padding rows beyond */
static void masked_block(const int32_t *spk,int ns,float *const *rows,int j0,int j1){
  for(int j=j0;j<j1;j+=16){
    for(int g0=0;g0<KG;g0+=8){
      __m512 a0=_mm512_loadu_ps(rows[g0]+j),a1=_mm512_loadu_ps(rows[g0+1]+j),a2=_mm512_loadu_ps(rows[g0+2]+j),a3=_mm512_loadu_ps(rows[g0+3]+j),
             a4=_mm512_loadu_ps(rows[g0+4]+j),a5=_mm512_loadu_ps(rows[g0+5]+j),a6=_mm512_loadu_ps(rows[g0+6]+j),a7=_mm512_loadu_ps(rows[g0+7]+j);
      for(int s=0;s<ns;s++){
        const __m512 x=_mm512_loadu_ps(w+(size_t)spk[s]*NP+j);
        const __m128i dl=_mm_loadu_si128((const __m128i*)(d+(size_t)spk[s]*NP+j));
#define A(q) a##q=_mm512_mask_add_ps(a##q,_mm_cmpeq_epi8_mask(dl,_mm_set1_epi8((char)(g0+q))),a##q,x);
        A(0)A(1)A(2)A(3)A(4)A(5)A(6)A(7)
      }
      _mm512_storeu_ps(rows[g0]+j,a0);_mm512_storeu_ps(rows[g0+1]+j,a1);_mm512_storeu_ps(rows[g0+2]+j,a2);_mm512_storeu_ps(rows[g0+3]+j,a3);
      _mm512_storeu_ps(rows[g0+4]+j,a4);_mm512_storeu_ps(rows[g0+5]+j,a5);_mm512_storeu_ps(rows[g0+6]+j,a6);_mm512_storeu_ps(rows[g0+7]+j,a7);
    }
  }
}

#define LD(q) __m512 a##q=_mm512_loadu_ps(r[q]+j);
#define AD(q) a##q=_mm512_mask_add_ps(a##q,_mm_cmpeq_epi8_mask(dl,_mm_set1_epi8((char)(d0+q))),a##q,x);
#define ST(q) _mm512_storeu_ps(r[q]+j,a##q);
#define R10(M) M(0)M(1)M(2)M(3)M(4)M(5)M(6)M(7)M(8)M(9)
#define R20(M) R10(M)M(10)M(11)M(12)M(13)M(14)M(15)M(16)M(17)M(18)M(19)
static void blk10(const int32_t *spk,int ns,float *const *rows,int j0,int j1){
  for(int j=j0;j<j1;j+=16) for(int g0=0;g0<K;g0+=10){ float *const *r=rows+g0; int d0=g0; R10(LD)
    for(int s=0;s<ns;s++){ const __m512 x=_mm512_loadu_ps(w+(size_t)spk[s]*NP+j); const __m128i dl=_mm_loadu_si128((const __m128i*)(d+(size_t)spk[s]*NP+j)); R10(AD) }
    R10(ST) } }
static void blk20(const int32_t *spk,int ns,float *const *rows,int j0,int j1){
  for(int j=j0;j<j1;j+=16){ float *const *r=rows; int d0=0; R20(LD)
    for(int s=0;s<ns;s++){ const __m512 x=_mm512_loadu_ps(w+(size_t)spk[s]*NP+j); const __m128i dl=_mm_loadu_si128((const __m128i*)(d+(size_t)spk[s]*NP+j)); R20(AD) }
    R20(ST) } }

static uint16_t *mk; /* [i][chunk][K] masks */
#define AM(q) a##q=_mm512_mask_add_ps(a##q,(__mmask16)m[d0+q],a##q,x);
static void blkm(const int32_t *spk,int ns,float *const *rows,int j0,int j1){
  for(int j=j0;j<j1;j+=16) for(int g0=0;g0<K;g0+=10){ float *const *r=rows+g0; int d0=g0; R10(LD)
    for(int s=0;s<ns;s++){ const __m512 x=_mm512_loadu_ps(w+(size_t)spk[s]*NP+j); const uint16_t *m=mk+((size_t)spk[s]*(NP/16)+j/16)*K; R10(AM) }
    R10(ST) } }
int main(int argc,char**argv){
  int th=atoi(argv[1]), mode=atoi(argv[2]);
  w=malloc(784*(size_t)NP*4); d=malloc(784*(size_t)NP); g=calloc((size_t)KG*NP,4); gee=calloc(NP,4);
  for(size_t i=0;i<784*(size_t)NP;i++){w[i]=(i%97)*1e-3f; d[i]=(i*2654435761u>>7)%K;}
  mk=calloc((size_t)784*(NP/16)*K,2);
  for(size_t i=0;i<784;i++) for(int c=0;c<NP/16;c++) for(int l=0;l<16;l++){ int dd=d[i*NP+c*16+l]; mk[(i*(NP/16)+c)*K+dd]|=(uint16_t)(1u<<l);}
  double t0=omp_get_wtime();
  for(int step=0;step<20000;step++){
    int base=step%K; int32_t spk[7]; for(int s=0;s<7;s++) spk[s]=HOT ? (s*113)%784 : (step*7+s*113)%784;
    float *rows[KG]; for(int q=0;q<KG;q++) rows[q]= q<K ? g+(size_t)((base+q)%K)*NP : g+(size_t)q*NP;
    #pragma omp parallel for num_threads(th) schedule(static)
    for(int b=0;b<25;b++){ int j0=256*b,j1=j0+256;
      if(mode==0) for(int s=0;s<7;s++) scatter(spk[s],base,j0,j1); else if(mode==1) masked_block(spk,7,rows,j0,j1); else if(mode==2) blk10(spk,7,rows,j0,j1); else if(mode==3) blk20(spk,7,rows,j0,j1); else blkm(spk,7,rows,j0,j1);
      float *due=g+(size_t)base*NP; for(int j=j0;j<j1;j++){ gee[j]+=due[j]; due[j]=0;} }
  }
  double h=0; for(int j=0;j<NP;j++) h+=gee[j]*(j+1);
  printf("%d threads mode %d: %.3f s  hash %.9g\n",th,mode,omp_get_wtime()-t0,h);
}
