// Node 20's optimizing compiler (V8 11.3) can loop forever in escape analysis on a function
// that a long test run makes hot: the tests finish, but the process waits for that compile
// job at exit and never ends (seen on test/validation.test.ts, the optimizer thread stuck in
// EscapeAnalysis::Reduce). Turning escape analysis off costs the tests nothing measurable.
import * as v8 from 'v8';

v8.setFlagsFromString('--no-turbo-escape');
