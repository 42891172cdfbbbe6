/*
 * can-pacer: the paced generator of bench/bridge-bench.ts. Writes COUNT classic 8-byte frames
 * with CAN id ID to IFACE, frame i at the absolute deadline start + i / RATE (CLOCK_MONOTONIC,
 * clock_nanosleep TIMER_ABSTIME; at most one wake-up per millisecond, sending every frame due by
 * then), so a late wake-up is caught up at once instead of shifting every later frame (a
 * relative sleep, as cangen's -g, loses the overshoot of every sleep: under emulation cangen
 * achieved 50-85 % of the rate asked; ../shared/baselines.md).
 *
 *   can-pacer IFACE ID RATE COUNT
 *
 * It runs SCHED_FIFO when allowed (root in the VM): a real bus offers its load whatever the
 * bridge's host is doing, so the generator must not be starved by the bridges it measures, which
 * can keep both vCPUs busy; it sleeps between deadlines, so it takes little from them.
 *
 * Payload: bytes 0-3 the sequence number i (little endian), bytes 4-7 the CAN id (little endian),
 * so a frame names its run twice. At the end one JSON line on stdout: frames sent, the time of the
 * first and last write relative to the first deadline, the worst lateness, writes retried after
 * ENOBUFS/EAGAIN, whether it ran SCHED_FIFO, and the CPU time this process used. Exit status 0,
 * or 1 with a message on stderr. Compiled by bench/bench-tools.ts with the system cc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Frames per sendmmsg call, and the shortest sleep: under emulation every wake-up costs 0.1-0.2 ms
 * of CPU (measured in the VM: one wake per frame took 43 % of a vCPU at 4000/s), so above
 * 1000 frames/s the frames due are sent together once per millisecond. */
#define BATCH 64
#define MIN_WAKE_NS 1000000

static struct can_frame frames[BATCH];
static struct iovec iov[BATCH];
static struct mmsghdr msgs[BATCH];

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until_ns(int64_t t) {
  struct timespec ts = {.tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

static int64_t cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
         ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static void die(const char* what) {
  fprintf(stderr, "can-pacer: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: can-pacer IFACE ID RATE COUNT\n");
    return 1;
  }
  const char* iface = argv[1];
  uint32_t id = (uint32_t)strtoul(argv[2], NULL, 0);
  double rate = strtod(argv[3], NULL);
  long count = strtol(argv[4], NULL, 10);
  if (id > CAN_SFF_MASK || !(rate > 0) || count <= 0) {
    fprintf(stderr, "can-pacer: need an 11-bit ID, RATE > 0 and COUNT > 0\n");
    return 1;
  }

  int fd = socket(PF_CAN, SOCK_RAW, CAN_RAW);
  if (fd < 0) die("socket");
  /* Send only: no filter means no frame is ever queued for reading on this socket. */
  if (setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FILTER, NULL, 0) < 0) die("CAN_RAW_FILTER");
  struct sockaddr_can addr = {.can_family = AF_CAN, .can_ifindex = (int)if_nametoindex(iface)};
  if (addr.can_ifindex == 0) die(iface);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind");

  const struct sched_param sp = {.sched_priority = 10};
  const int realtime = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;

  for (int k = 0; k < BATCH; k++) {
    frames[k].can_id = id;
    frames[k].len = 8;
    frames[k].data[4] = id & 0xff;
    frames[k].data[5] = (id >> 8) & 0xff;
    iov[k] = (struct iovec){.iov_base = &frames[k], .iov_len = sizeof frames[k]};
    msgs[k].msg_hdr = (struct msghdr){.msg_iov = &iov[k], .msg_iovlen = 1};
  }

  const double interval_ns = 1e9 / rate;
  long retries = 0;
  int64_t max_late = 0, first_write = -1, last_write = 0;
  const int64_t cpu0 = cpu_ns();
  /* Start 2 ms from now so the first deadline is not already late. */
  const int64_t start = now_ns() + 2000000;
#define DEADLINE(i) (start + (int64_t)((double)(i) * interval_ns))
  int64_t last_wake = start - MIN_WAKE_NS;
  for (long i = 0; i < count;) {
    const int64_t wake =
        DEADLINE(i) > last_wake + MIN_WAKE_NS ? DEADLINE(i) : last_wake + MIN_WAKE_NS;
    int64_t t = now_ns();
    if (t < wake) {
      sleep_until_ns(wake);
      t = now_ns();
    }
    last_wake = t;
    /* Every frame due by now, oldest first; the oldest is the latest. */
    if (t - DEADLINE(i) > max_late) max_late = t - DEADLINE(i);
    int n = 0;
    for (; n < BATCH && i + n < count && DEADLINE(i + n) <= t; n++) {
      const long seq = i + n;
      frames[n].data[0] = seq & 0xff;
      frames[n].data[1] = (seq >> 8) & 0xff;
      frames[n].data[2] = (seq >> 16) & 0xff;
      frames[n].data[3] = (seq >> 24) & 0xff;
    }
    for (int done = 0; done < n;) {
      const int k = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);
      if (k > 0) {
        done += k;
        continue;
      }
      /* can_send(): ENOBUFS when the device queue or the socket's send buffer is full; wait. */
      if (k < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) die("sendmmsg");
      retries++;
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      poll(&p, 1, 1);
    }
    last_write = now_ns() - start;
    if (first_write < 0) first_write = last_write;
    i += n;
  }
  const int64_t cpu = cpu_ns() - cpu0;
  printf("{\"sent\":%ld,\"rate\":%.3f,\"firstWriteNs\":%lld,\"lastWriteNs\":%lld,"
         "\"maxLateNs\":%lld,\"retries\":%ld,\"realtime\":%s,\"cpuNs\":%lld}\n",
         count, rate, (long long)first_write, (long long)last_write, (long long)max_late, retries,
         realtime ? "true" : "false", (long long)cpu);
  close(fd);
  return 0;
}
