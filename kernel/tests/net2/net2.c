/* net2: ping-serve on two NICs; the same program as net, another manifest. */
#include "net/net.c"
