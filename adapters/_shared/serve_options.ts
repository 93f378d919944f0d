/**
 * The adapters' `serve()` contract; it lives in the core's platform ports (the command line
 * uses it too).
 * @module
 */
export type { RunningServer, Serve, ServeOptions } from "../../src/platform/listener.ts";
