#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <omp.h>
#include <immintrin.h>
#define NP 6400
#define K 20
static float *w, *g; static uint8_t *d;
#define KP 32
static int T_;
static void scatter(int i,int base,int j0,int j1,int vec){ if(T_){ const float *row=w+(size_t)i*NP; const uint8_t *dd=d+(size_t)i*NP; int j=j0;
  if(vec){ const __m512i vb=_mm512_set1_epi32(base),vk=_mm512_set1_epi32(K),lane=_mm512_setr_epi32(0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15);
  for(;j+16<=j1;j+=16){ __m512i s=_mm512_add_epi32(vb,_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(dd+j)))); s=_mm512_mask_sub_epi32(s,_mm512_cmpge_epi32_mask(s,vk),s,vk);
    const __m512i idx=_mm512_add_epi32(s,_mm512_slli_epi32(_mm512_add_epi32(_mm512_set1_epi32(j),lane),5));
    const __m512 sum=_mm512_add_ps(_mm512_i32gather_ps(idx,g,4),_mm512_loadu_ps(row+j)); _mm512_i32scatter_ps(g,idx,sum,4);} }
  for(;j<j1;j++){int s=base+dd[j]; s-=s>=K?K:0; g[(size_t)j*KP+s]+=row[j];} return; }
  const float *row=w+(size_t)i*NP; const uint8_t *dd=d+(size_t)i*NP; int j=j0;
  if(vec){ const __m512i vb=_mm512_set1_epi32(base),vk=_mm512_set1_epi32(K),vnp=_mm512_set1_epi32(NP),lane=_mm512_setr_epi32(0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15);
  for(;j+16<=j1;j+=16){ __m512i s=_mm512_add_epi32(vb,_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(dd+j)))); s=_mm512_mask_sub_epi32(s,_mm512_cmpge_epi32_mask(s,vk),s,vk);
    const __m512i idx=_mm512_add_epi32(_mm512_mullo_epi32(s,vnp),_mm512_add_epi32(_mm512_set1_epi32(j),lane));
    const __m512 sum=_mm512_add_ps(_mm512_i32gather_ps(idx,g,4),_mm512_loadu_ps(row+j)); _mm512_i32scatter_ps(g,idx,sum,4);} }
  for(;j<j1;j++){int s=base+dd[j]; s-=s>=K?K:0; g[(size_t)s*NP+j]+=row[j];}
}
int main(int argc,char**argv){
  int th=atoi(argv[1]), vec=atoi(argv[2]); int T=argc>3?atoi(argv[3]):0;
  w=malloc(784*(size_t)NP*4); d=malloc(784*(size_t)NP); g=calloc((size_t)KP*NP,4); T_=T;
  for(size_t i=0;i<784*(size_t)NP;i++){w[i]=(i%97)*1e-3f; d[i]=(i*2654435761u>>7)%K;}
  double t0=omp_get_wtime();
  for(int step=0;step<20000;step++){
    int base=step%K;
    #pragma omp parallel for num_threads(th) schedule(static)
    for(int b=0;b<25;b++){ int j0=256*b,j1=j0+256; for(int s=0;s<7;s++) scatter((step*7+s*113)%784,base,j0,j1,vec);
      if(T_){ for(int j=j0;j<j1;j++) g[(size_t)j*KP+base]=0; } else { float *due=g+(size_t)base*NP; for(int j=j0;j<j1;j++) due[j]=0; } }
  }
  printf("%d threads vec %d: %.3f s\n",th,vec,omp_get_wtime()-t0);
}
