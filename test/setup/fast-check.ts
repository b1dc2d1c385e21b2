import fc from 'fast-check';

// CI replays one fixed seed, so a green main stays green and a failure reproduces; a developer's
// run explores new inputs every time (and prints the seed of any counterexample it finds).
if (process.env.CI) fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261127) });
