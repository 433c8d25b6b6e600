#!/usr/bin/env node
// Thin launcher so `npx tavia` and the package bin run the compiled CLI.
import '../dist/src/cli/main.js';
