import { Token } from 'aws-cdk-lib';

/** Fargate's CPU sizes and the most memory each allows, in MiB. */
const MAX_MEMORY: [number, number][] = [[512, 4096], [1024, 8192], [2048, 16384], [4096, 30720], [8192, 61440], [16384, 122880]];

/**
 * The smallest Fargate size with `cpuPerWorker` CPU units and 4 GiB per worker, as
 * LiteLLM's production guide sizes a worker (a vCPU and 4 GiB; memory in 1, 4 or 8 GiB steps).
 */
export function fargateSize(workers: number, cpuPerWorker = 1024): { cpu: number; memoryMiB: number } {
  const n = Token.isUnresolved(workers) ? 1 : workers;
  const [cpu] = MAX_MEMORY.find(([c, max]) => c >= cpuPerWorker * n && max >= 4096 * n) ?? MAX_MEMORY[MAX_MEMORY.length - 1];
  const step = cpu <= 4096 ? 1024 : cpu === 8192 ? 4096 : 8192;
  const memoryMiB = Math.max(Math.ceil((4096 * n) / step) * step, 2 * cpu);
  return { cpu, memoryMiB };
}
