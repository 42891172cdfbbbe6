import { describe, expect, it } from 'vitest';
import { resolveGroup, stripScope } from '../../../src/multicast/multicast-address.js';

const noInterfaces = (): NodeJS.Dict<never[]> => ({});

describe('resolveGroup', () => {
  it.each([
    ['224.0.0.1', 4, null],
    ['239.255.255.255', 4, null],
    ['ff05::1', 6, 5],
    ['FF15:7079::1', 6, 5],
    ['ff0e::1', 6, 14],
  ])('accepts %s as IPv%i multicast (scope %s)', (group, family, scope) => {
    expect(resolveGroup(group, null, noInterfaces)).toMatchObject({
      family,
      scope,
      scopedGroup: group,
      interfaceAddress: null,
    });
  });

  it.each(['223.255.255.255', '0.0.0.0', '::ffff:239.1.1.1', 'fe80::1', 'ff', '', '239.1.1'])(
    'rejects %j with ERR_INVALID_GROUP',
    (group) => {
      expect(() => resolveGroup(group, null, noInterfaces)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_GROUP' }),
      );
    },
  );

  it('needs an interface for interface- and link-local IPv6 groups and scopes them to it', () => {
    expect(() => resolveGroup('ff01::1', null, noInterfaces)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    const eth = () => ({
      eth0: [
        {
          address: 'fe80::1',
          netmask: 'ffff:ffff:ffff:ffff::',
          family: 'IPv6' as const,
          mac: '00:00:00:00:00:00',
          internal: false,
          cidr: null,
          scopeid: 2,
        },
      ],
    });
    expect(resolveGroup('ff02::1234', 'eth0', eth)).toMatchObject({
      scopedGroup: 'ff02::1234%eth0',
      interfaceAddress: '::%eth0',
    });
    expect(() => resolveGroup('239.1.1.1', 'eth0', eth)).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_INTERFACE' }),
    );
  });
});

describe('resolveGroup when the interfaces cannot be listed', () => {
  // Regression: found by the systemd sandbox tests (netlink denied); it escaped as exit 70.
  it('throws ERR_MULTICAST_SOCKET with the cause instead of a system error', () => {
    const cause = Object.assign(
      new Error('uv_interface_addresses returned Unknown system error 1'),
      {
        code: 'ERR_SYSTEM_ERROR',
      },
    );
    const fail = () => {
      throw cause;
    };
    expect(() => resolveGroup('239.74.163.2', 'eth0', fail)).toThrow(
      expect.objectContaining({ code: 'ERR_MULTICAST_SOCKET', cause }),
    );
  });
});

describe('stripScope', () => {
  it.each([
    ['fe80::1%eth0', 'fe80::1'],
    ['10.0.0.1', '10.0.0.1'],
  ])('%s -> %s', (input, output) => expect(stripScope(input)).toBe(output));
});
