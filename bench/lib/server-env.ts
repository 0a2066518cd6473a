// The environment benchmark servers start with, instead of the shell's (HESTIA_* variables there
// must not change what is measured). Everything is the default configuration (security off),
// except audit records on the console: they would be interleaved with the report, two lines per
// request. Unknown variables are ignored by servers that do not have the setting.
export const BENCH_SERVER_ENV: NodeJS.ProcessEnv = {
  HESTIA_AUDIT_CONSOLE: 'false',
};
