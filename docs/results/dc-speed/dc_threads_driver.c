/* throwaway: train n images of Fashion at N_E, print CPU-s/image and a hash of w, theta */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#include "somnus/io/dataset.h"
#include "somnus/models/dc.h"

static double cpu(void){struct timespec t;clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static double wall(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static uint64_t fnv(const void *p, size_t n, uint64_t h){const unsigned char*c=p;for(size_t i=0;i<n;i++){h^=c[i];h*=1099511628211ULL;}return h;}
int main(int argc,char**argv){
  int ne=atoi(argv[1]), n=atoi(argv[2]), th=atoi(argv[3]), clamp=argc>4?atoi(argv[4]):1;
  const char *ds = argc>5?argv[5]:"fashion";
  sm_dataset *pool=NULL,*off=NULL;
  if(sm_dataset_load_named(ds,"/work/main/data",&pool,&off,NULL)!=SM_OK){puts("no data");return 1;}
  sm_dc_params p; sm_dc_params_default(&p); p.n_exc=ne; p.seed=1; p.v_clamp=clamp; p.threads=th;
  sm_dc *net=sm_dc_create(&p,NULL);
  sm_dc_set_learning(net,1);
  double c0=cpu(),t0=wall();
  for(int i=0;i<n;i++) sm_dc_present(net,pool->pixels+(size_t)i*784,NULL);
  double c=cpu()-c0,t=wall()-t0;
  uint64_t h=fnv(net->w,(size_t)784*net->n_pad*4,1469598103934665603ULL);
  h=fnv(net->theta,(size_t)ne*sizeof(*net->theta),h);
  printf("N_E %d, %d images, %d threads: %.4f CPU-s/img, %.1f img/s wall, E spikes/img %.1f, hash %016llx\n",ne,n,th,c/n,n/t,(double)net->n_e_spikes/n,(unsigned long long)h);
  return 0;}
