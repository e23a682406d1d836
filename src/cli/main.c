#include <stdio.h>
#include "somnus_version.h"
int main(void) { printf("somnus %s\n", SOMNUS_VERSION); return 0; }
