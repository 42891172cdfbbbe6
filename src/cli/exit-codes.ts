/** Exit codes, from BSD sysexits.h (what systemd and shell scripts expect of a daemon). */
export const EXIT_OK = 0;
/** A run that ended early: e.g. `dump --count N --timeout S` got fewer than N frames. */
export const EXIT_INCOMPLETE = 1;
/** sysexits.h EX_USAGE: a bad option, argument or frame string. */
export const EX_USAGE = 64;
/** sysexits.h EX_UNAVAILABLE: a socket could not be opened, bound or joined. */
export const EX_UNAVAILABLE = 69;
/** sysexits.h EX_SOFTWARE: an internal error (a bug). */
export const EX_SOFTWARE = 70;
/** sysexits.h EX_CONFIG: a bad configuration; systemd's RestartPreventExitStatus names it. */
export const EX_CONFIG = 78;
