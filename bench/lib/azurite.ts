// Azurite in a child process (azurite-child.ts), for the blob export destination.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./azurite-child.ts', import.meta.url));

export interface AzuriteProcess {
  connectionString: string;
  pid: number;
  /** CPU seconds the child has used so far (user + system; Linux only, otherwise undefined). */
  cpuSeconds(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startAzuriteProcess(): Promise<AzuriteProcess> {
  // Same loader flags as this process (tsx, source condition), without profiling flags.
  const flags = process.execArgv.filter((a) => !a.startsWith('--cpu-prof') && !a.startsWith('--inspect'));
  const child: ChildProcess = spawn(process.execPath, [...flags, CHILD], { cwd: process.cwd(), env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.stdout!.off('data', onData);
        resolve(out.slice(0, nl));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Azurite child exited (${code}) before it started:\n${stderr}`)));
    child.once('error', reject);
  });
  const { connectionString } = JSON.parse(first) as { connectionString: string };
  child.stdout!.resume();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    connectionString,
    pid: child.pid!,
    async cpuSeconds() {
      try {
        // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
        const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1].split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        return undefined;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
