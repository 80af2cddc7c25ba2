/* Sample C file. */
#include <stdio.h>
#include "local.h"

#define MAX 10

/* A point. */
typedef struct {
    int x;
    int y;
} point_t;

struct node {
    struct node *next;
};

static int counter = 0;

/*
 * add returns the sum.
 */
int add(int a, int b) {
    // sum
    return a + b;
}

static char *name(void) { return "x"; }

int main(int argc, char **argv) {
    printf("%d\n", add(1, 2));
    return 0;
}
