// The addon builds every system error with one builder (native/src/sys_error.cc SysError): the
// same message form "<syscall> <code> <subject>: <text>" and code/errno/syscall on each, plus what
// the failing call was about (`interface`, `address`, `fd`).
import { describe, expect, it } from 'vitest';
import { loadNativeBinding } from '../../../src/native/native-binding.js';

function thrown(fn: () => unknown): NodeJS.ErrnoException & Record<string, unknown> {
  try {
    fn();
  } catch (err) {
    return err as NodeJS.ErrnoException & Record<string, unknown>;
  }
  throw new Error('did not throw');
}

describe('the addon system errors', () => {
  const binding = loadNativeBinding();

  it('sdNotify to an address that is no path or abstract name: connect EAFNOSUPPORT with it', () => {
    const err = thrown(() => binding.sdNotify('vsock:2:999', 'READY=1'));
    expect(err).toMatchObject({
      code: 'EAFNOSUPPORT',
      errno: -97,
      syscall: 'connect',
      address: 'vsock:2:999',
    });
    expect(err.message).toMatch(/^connect EAFNOSUPPORT vsock:2:999: \S/);
  });

  it('setsockopt on a descriptor that is not open: EBADF with the option and the fd (a number)', () => {
    const program = new Uint8Array(8); // one sock_filter record: BPF_LD 0, never installed
    const err = thrown(() => binding.attachSocketFilter(-1, program));
    expect(err).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'setsockopt', fd: -1 });
    expect(err.message).toMatch(/^setsockopt EBADF SO_ATTACH_FILTER fd -1: \S/);
    expect(thrown(() => binding.forceReceiveBuffer(-1, 4096))).toMatchObject({
      code: 'EBADF',
      syscall: 'setsockopt',
      fd: -1,
      message: expect.stringMatching(/^setsockopt EBADF SO_RCVBUFFORCE fd -1: /) as unknown,
    });
  });
});
