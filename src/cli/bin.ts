#!/usr/bin/env -S node --
/**
 * The `stack` executable (package.json `bin`). Node 20 reads `--env-file FILE` wherever it
 * appears on its command line, even after the script's path, and exits 9 when FILE is
 * missing before any of our code runs; `stack deploy --env-file prod.env` would then never
 * reach `stack`. Node stops reading its own options at `--`, so the interpreter line runs
 * `node -- <this file> ARGS...`: `--env-file` stays ours, and a missing file is a located
 * error with exit code 2 like every other bad input. (`env -S` splits the interpreter line;
 * GNU coreutils 8.30+, BSD and macOS have it.)
 */
import "./main.js";
