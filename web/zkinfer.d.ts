// Types of zkinfer.js.

/** The manifest `zkinfer export-web` writes (zkinfer-web.json). */
export interface Manifest {
  zkinfer_version: string;
  k: number;
  vk_hash: string;
  insecure_dev_srs: boolean;
  inputs: { name: string; shape: number[]; scale: number }[];
  outputs: { name: string; shape: number[]; scale: number }[];
  /** Names bound to public values at proving time, e.g. ["account"]. */
  bound: string[];
  /** The public instances: what each slot holds ("output", "input_hash", "bound", …), where. */
  instance_layout: { name: string; kind: string; scale?: number | null; start: number; len: number; member?: number | null }[];
  sizes: { program: number; pk: number; srs: number };
}

export interface Progress {
  stage: "download" | "checking the bundle" | "proving";
  file?: string;
  loaded?: number;
  total?: number;
  /** With "checking the bundle": the threads the prover runs on. */
  threads?: number;
}

export interface Proof {
  /** 0x-hex proof bytes. */
  proof: string;
  /** Public instances, 0x-hex words. */
  instances: string[];
  /** The model's outputs when the build makes them public. */
  outputs: { name: string; shape: number[]; scale: number; values: number[] }[];
  /** Hash instances by name (e.g. ["input_hash", "0x…"]). */
  hashes: [string, string][];
  vk_hash: string;
  seconds: number;
  proofBytes: number;
}

/** An input file's content: one flat list per model input. */
export type Input = string | { input_data: number[][] };

export class ZkinferError extends Error {
  /** Which step failed: download, load, inputHash, prove, verify, … */
  stage: string;
}

export class Prover {
  readonly manifest: Manifest;
  /** Threads the prover runs on (more than 1 only in a cross-origin isolated page). */
  readonly threads: number;
  /** Why the prover runs on one thread when more were asked for (not isolated, pkg-threads missing). */
  readonly threadsUnavailable?: string;
  inputHash(input: Input): Promise<string>;
  prove(input: Input, bind?: Record<string, string>, options?: { seed?: Uint8Array; onProgress?: (p: Progress) => void }): Promise<Proof>;
  verify(proof: string, instances: string[]): Promise<true>;
  verifyCalldata(proof: string, instances: string[]): Promise<string>;
  requestCreditCalldata(proof: string, instances: string[], attestation: string | object): Promise<string>;
  creditGateViews(borrower: string): Promise<{ vkHash: string; isApproved: string }>;
  terminate(): void;
}

/** Options of loadBundle / loadBundleBytes. `threads` (default: defaultThreads()) above 1 uses
 * pkg-threads/, which needs a cross-origin isolated page; otherwise the one-thread pkg/. */
export interface LoadOptions {
  onProgress?: (p: Progress) => void;
  workerUrl?: string | URL;
  threads?: number;
}

/** Every core (at most 16) when the page is cross-origin isolated, else 1. */
export function defaultThreads(): number;
export function loadBundle(baseUrl: string, options?: LoadOptions): Promise<Prover>;
export function loadBundleBytes(
  files: { manifest: Uint8Array; program: Uint8Array; pk: Uint8Array; srs: Uint8Array },
  options?: LoadOptions
): Promise<Prover>;
