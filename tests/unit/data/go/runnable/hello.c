/* The C program behind hello-musl-x86_64 and hello-glibc-i386 (see README.md and build.sh). */
#include <stdio.h>

int main(void)
{
    puts("hello");
    return 0;
}
