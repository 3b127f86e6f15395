import { Token } from 'aws-cdk-lib';

/**
 * The smallest Fargate size with a vCPU and 4 GiB per worker, as LiteLLM's production
 * guide sizes a worker (Fargate: 1, 2, 4, 8 or 16 vCPU; memory in 1, 4 or 8 GiB steps).
 */
export function fargateSize(workers: number): { cpu: number; memoryMiB: number } {
  const n = Token.isUnresolved(workers) ? 1 : workers;
  const cpu = [1024, 2048, 4096, 8192, 16384].find(c => c >= 1024 * n) ?? 16384;
  const step = cpu <= 4096 ? 1024 : cpu === 8192 ? 4096 : 8192;
  const memoryMiB = Math.max(Math.ceil((4096 * n) / step) * step, 2 * cpu);
  return { cpu, memoryMiB };
}
