/** Every benchmark `pnpm bench` runs, in order. @module */
import type { Benchmark } from '../types.ts';
import { connectionBenchmark } from './connection.bench.ts';
import { cryptoKexBenchmark } from './crypto-kex.bench.ts';
import { cryptoPacketBenchmark } from './crypto-packet.bench.ts';
import { handshakeBenchmark } from './handshake.bench.ts';
import { keysBenchmark } from './keys.bench.ts';
import { sftpBenchmark } from './sftp.bench.ts';
import { wireBenchmark } from './wire.bench.ts';

export const benchmarks: readonly Benchmark[] = [wireBenchmark, cryptoPacketBenchmark, cryptoKexBenchmark, keysBenchmark, sftpBenchmark, connectionBenchmark, handshakeBenchmark];
