/**
 * The `--help` text.
 * @module
 */

export function usage(program = "junction"): string {
  return `Usage: ${program} [options]

Junction, a WAMP router. Without --config it serves realm "realm1" to anonymous clients,
WebSocket on ws://127.0.0.1:8080/ws and RawSocket on tcp://127.0.0.1:8081.

Options:
  --config FILE          JSON configuration file (flags below override it)
  --host HOST            interface for both listeners (default 127.0.0.1)
  --port N               WebSocket port, 0 picks a free one (default 8080)
  --rawsocket-port N     RawSocket port, 0 picks a free one (default 8081)
  --no-rawsocket         do not listen for RawSocket
  --data FILE            SQLite data file (default junction.db when a realm is secured
                         or keeps event history)
  --log-format FORMAT    text or json (default text)
  --log-level LEVEL      debug, info, warn or error (default info)
  -h, --help             show this help and exit
  -v, --version          show the version and exit`;
}
