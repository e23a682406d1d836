/* throwaway (twelfth session): per-image time of the normalization, the 700 input steps and
 * the 300 rest steps at N_E on THREADS threads (Fashion-MNIST, dc.v_clamp, learning).
 *   usage: dc_phase_driver N_E IMAGES THREADS; link as dc_threads_driver.c */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "somnus/io/dataset.h"
#include "somnus/models/dc.h"
static double wall(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(int argc,char**argv){
  int ne=atoi(argv[1]), n=atoi(argv[2]), th=atoi(argv[3]);
  sm_dataset *pool=NULL,*off=NULL;
  sm_dataset_load_named("fashion","/work/main/data",&pool,&off,NULL);
  sm_dc_params p; sm_dc_params_default(&p); p.n_exc=ne; p.seed=1; p.v_clamp=1; p.threads=th;
  sm_dc *net=sm_dc_create(&p,NULL); sm_dc_set_learning(net,1);
  double ton=0,toff=0,tn=0;
  for(int i=0;i<n;i++){
    double t0=wall(); sm_dc_normalize(net); double t1=wall(); tn+=t1-t0;
    sm_dc_set_input(net,pool->pixels+(size_t)i*784,2.0);
    for(int s=0;s<700;s++) sm_dc_step(net);
    double t2=wall(); ton+=t2-t1;
    sm_dc_set_input(net,NULL,0);
    for(int s=0;s<300;s++) sm_dc_step(net);
    toff+=wall()-t2;
  }
  printf("per image: normalize %.2f ms, on %.2f ms (%.1f us/step), rest %.2f ms (%.1f us/step)\n",1e3*tn/n,1e3*ton/n,1e6*ton/n/700,1e3*toff/n,1e6*toff/n/300);
}
