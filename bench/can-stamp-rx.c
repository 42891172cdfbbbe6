/*
 * can-stamp-rx: the receiver of bench/bridge-bench.ts. Reads every classic frame on IFACE_A
 * (where the generator writes, the origin bus) and IFACE_B (where the bridge under test writes)
 * with the kernel's receive timestamp (SO_TIMESTAMPNS, socket(7)), and writes one 24-byte
 * little-endian record per frame to stdout:
 *
 *   uint32 tv_sec | uint32 tv_nsec (the kernel's CLOCK_REALTIME stamp) | uint32 can_id
 *   | uint8 data[8] | uint8 side (0 = A, 1 = B) | uint8 len | uint16 0
 *
 * and, when the kernel reports new drops of one of its own sockets (SO_RXQ_OVFL, socket(7)), a
 * record with side 0x80 | side and the socket's total drop count in the first uint32 of data.
 * A frame's one-way latency is its timestamp on B minus its timestamp on A: the generator's and
 * this program's scheduling do not count. C and recvmmsg so that measuring costs the bridges under
 * test as little CPU as possible (the VM has two vCPUs for everything).
 *
 *   can-stamp-rx IFACE_A IFACE_B
 *
 * Prints "ready" on stderr once both sockets are bound; stops on SIGTERM, SIGINT or EOF on stdin.
 * Compiled by bench/bench-tools.ts with the system cc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define RECORD 24
/* Under emulation every wake-up costs 0.1-0.2 ms of CPU, taken from the bridges under test: read
 * at most every READ_GAP_NS (the kernel stamps each frame on arrival, so reading later changes no
 * measurement; the 8 MiB buffers hold far more than that) and hand records on at most every
 * FLUSH_GAP_NS (the reader only needs them for progress and at the end of a step). */
#define READ_GAP_NS 20000000LL
#define FLUSH_GAP_NS 100000000LL
#define OUT_BYTES (1 << 20)

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static void die(const char* what) {
  fprintf(stderr, "can-stamp-rx: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int open_can(const char* iface) {
  int fd = socket(PF_CAN, SOCK_RAW | SOCK_NONBLOCK, CAN_RAW);
  if (fd < 0) die("socket");
  const int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) die("SO_TIMESTAMPNS");
  if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) < 0) die("SO_RXQ_OVFL");
  /* 8 MiB: this receiver must never be the one that loses frames (root: past rmem_max). */
  const int bytes = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0)
    die("SO_RCVBUF");
  struct sockaddr_can addr = {.can_family = AF_CAN, .can_ifindex = (int)if_nametoindex(iface)};
  if (addr.can_ifindex == 0) die(iface);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind");
  return fd;
}

static unsigned char out[OUT_BYTES];
static size_t out_len;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 0xff;
}

static void record(struct timespec ts, uint32_t id, const unsigned char* data, uint32_t drops,
                   int side, int len) {
  unsigned char* p = out + out_len;
  memset(p, 0, RECORD);
  /* Seconds and nanoseconds apart: a reader with doubles keeps nanosecond precision. */
  put32(p, (uint32_t)ts.tv_sec);
  put32(p + 4, (uint32_t)ts.tv_nsec);
  put32(p + 8, id);
  if (data != NULL) memcpy(p + 12, data, 8);
  else put32(p + 12, drops);
  p[20] = (unsigned char)side;
  p[21] = (unsigned char)len;
  out_len += RECORD;
}

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t n = write(STDOUT_FILENO, out + off, out_len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) exit(0);
      die("write");
    }
    off += (size_t)n;
  }
  out_len = 0;
}

static struct can_frame frames[BATCH];
static struct iovec iov[BATCH];
static char control[BATCH][CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t))];
static struct mmsghdr msgs[BATCH];
static uint32_t drops_seen[2];

static void drain(int fd, int side) {
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){.iov_base = &frames[i], .iov_len = sizeof frames[i]};
      msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i],
                                        .msg_iovlen = 1,
                                        .msg_control = control[i],
                                        .msg_controllen = sizeof control[i]};
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      die("recvmmsg");
    }
    for (int i = 0; i < n; i++) {
      struct timespec ts = {0, 0};
      uint32_t drops = drops_seen[side];
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != NULL;
           c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_TIMESTAMPNS) {
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
        } else if (c->cmsg_type == SO_RXQ_OVFL) {
          memcpy(&drops, CMSG_DATA(c), sizeof drops);
        }
      }
      if (drops != drops_seen[side]) {
        drops_seen[side] = drops;
        record(ts, 0, NULL, drops, 0x80 | side, 0);
      }
      /* Classic frames only (no CAN_RAW_FD_FRAMES): the generator sends nothing else. */
      if (msgs[i].msg_len == sizeof(struct can_frame))
        record(ts, frames[i].can_id, frames[i].data, 0, side, frames[i].len);
    }
    /* Room for one more batch (a drop record and a frame record per frame) or flush now. */
    if (out_len + 2 * BATCH * RECORD > OUT_BYTES) flush_out();
    if (n < BATCH) return;
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: can-stamp-rx IFACE_A IFACE_B\n");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  struct pollfd p[3] = {
      {.fd = open_can(argv[1]), .events = POLLIN},
      {.fd = open_can(argv[2]), .events = POLLIN},
      {.fd = STDIN_FILENO, .events = POLLIN},
  };
  fprintf(stderr, "ready\n");
  int64_t last_flush = now_ns();
  while (!stop) {
    int timeout_ms = 1000;
    if (out_len > 0) {
      const int64_t left = last_flush + FLUSH_GAP_NS - now_ns();
      timeout_ms = left > 0 ? (int)(left / 1000000) + 1 : 0;
    }
    if (poll(p, 3, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[0].revents & POLLIN) drain(p[0].fd, 0);
    if (p[1].revents & POLLIN) drain(p[1].fd, 1);
    if (p[2].revents & (POLLIN | POLLHUP)) {
      char c;
      if (read(STDIN_FILENO, &c, 1) <= 0) break;
    }
    const int64_t t = now_ns();
    if (out_len > 0 && t - last_flush >= FLUSH_GAP_NS) {
      flush_out();
      last_flush = t;
    } else if (out_len == 0) {
      last_flush = t;
    }
    const struct timespec gap = {.tv_sec = 0, .tv_nsec = READ_GAP_NS};
    nanosleep(&gap, NULL);
  }
  flush_out();
  return 0;
}
