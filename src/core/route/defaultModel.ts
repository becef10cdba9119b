// Which Ollama model to propose when the route is Ollama and nobody chose one: the heaviest model
// this host can hold. The gpt-oss pair follows the rule Codex users know (hosts with ≥ 64 GiB of memory
// default to gpt-oss:120b, others to gpt-oss:20b; `codex --oss` itself defaults to gpt-oss:20b); an
// installed model that is heavier still and fits in free memory beats it, because it needs no
// download. The person's explicit choice always wins. Pure: the caller passes memory and /api/tags.

export const GIB = 1024 ** 3;

export interface MemoryTier {
  /** Total memory at or above which this tier applies. */
  minTotalBytes: number;
  model: string;
  /** Download size when it is not installed (ollama.com/library/gpt-oss lists 14GB and 65GB). */
  approxBytes: number;
}

/** Highest first. */
export const OLLAMA_MEMORY_TIERS: readonly MemoryTier[] = [
  { minTotalBytes: 64 * GIB, model: 'gpt-oss:120b', approxBytes: 65e9 },
  { minTotalBytes: 0, model: 'gpt-oss:20b', approxBytes: 14e9 },
];

/**
 * Weights plus room for the context cache and runtime buffers: a model fits when 1.2 × its file
 * size is free. Ollama's own estimate is finer (per layer and context length); this only ranks.
 */
export const FIT_FACTOR = 1.2;

export interface InstalledModel {
  /** As Ollama names it: `qwen3-coder:30b`. */
  name: string;
  sizeBytes: number;
  /** From /api/tags (newer Ollama); undefined when the server does not say. */
  capabilities?: string[];
  /** A cloud model listed locally (`remote_host`): it uses no memory here. */
  remote?: boolean;
}

export interface HostMemory {
  totalBytes: number;
  /** Memory available for a new model now (Linux: MemAvailable; Node's os.freemem()). */
  freeBytes: number;
}

export interface DefaultModelInput {
  /** The model the person chose (route, setting, flag); empty or undefined when none. */
  explicit?: string;
  /** Installed models from /api/tags; undefined when the server could not be asked. */
  installed?: readonly InstalledModel[];
  /** The memory of the machine Ollama runs on; undefined when unknown (e.g. behind a tunnel). */
  memory?: HostMemory;
}

export type DefaultModelReason =
  /** The person's own choice. */
  | 'explicit'
  /** The gpt-oss model for this host's memory tier. */
  | 'memory-tier'
  /** An installed model heavier than the tier's model that fits in free memory. */
  | 'installed-heavier';

export interface DefaultModelChoice {
  model: string;
  reason: DefaultModelReason;
  /** On the server already; undefined when the installed list is unknown. */
  installed: boolean | undefined;
  /** Offer a pull before use. */
  mustPull: boolean;
  sizeBytes?: number;
  /** Whether FIT_FACTOR × size fits in free memory; undefined when memory or size is unknown. */
  fitsFreeMemory: boolean | undefined;
  /** One or two sentences for a tooltip or a log line. */
  why: string;
}

/** `llama3.2` and `llama3.2:latest` are one model to Ollama. */
export function sameOllamaModel(a: string, b: string): boolean {
  const norm = (n: string) => (n.includes(':') ? n : `${n}:latest`).toLowerCase();
  return norm(a) === norm(b);
}

export function memoryTier(totalBytes: number | undefined): MemoryTier {
  const lowest = OLLAMA_MEMORY_TIERS[OLLAMA_MEMORY_TIERS.length - 1] as MemoryTier;
  if (totalBytes === undefined) return lowest;
  return OLLAMA_MEMORY_TIERS.find(t => totalBytes >= t.minTotalBytes) ?? lowest;
}

export function fitsFreeMemory(sizeBytes: number, memory: HostMemory | undefined): boolean | undefined {
  return memory ? sizeBytes * FIT_FACTOR <= memory.freeBytes : undefined;
}

/** Codex needs tool calls: a model whose capabilities are listed without `tools` cannot carry it. */
function canCarryCodex(m: InstalledModel): boolean {
  return !m.remote && m.sizeBytes > 0 && (m.capabilities === undefined || m.capabilities.includes('tools'));
}

export function chooseDefaultModel(input: DefaultModelInput): DefaultModelChoice {
  const { installed, memory } = input;
  const find = (name: string) => installed?.find(m => sameOllamaModel(m.name, name));
  const explicit = input.explicit?.trim();
  if (explicit) {
    const have = find(explicit);
    const isInstalled = installed ? have !== undefined : undefined;
    return {
      model: explicit,
      reason: 'explicit',
      installed: isInstalled,
      mustPull: isInstalled === false,
      ...(have ? { sizeBytes: have.sizeBytes } : {}),
      fitsFreeMemory: have ? fitsFreeMemory(have.sizeBytes, memory) : undefined,
      why: `${explicit} is your choice${isInstalled === false ? '; it is not installed, so it must be pulled' : ''}.`,
    };
  }

  const tier = memoryTier(memory?.totalBytes);
  const tierHave = find(tier.model);
  const tierSize = tierHave?.sizeBytes ?? tier.approxBytes;
  const tierWhy = memory
    ? `this host has ${gib(memory.totalBytes)} of memory (${describeTiers()})`
    : `this host's memory is unknown (${describeTiers()})`;

  // Heaviest installed model that can carry Codex and fits in free memory, if heavier than the tier's.
  const heavier = memory
    ? [...(installed ?? [])]
        .filter(
          m => canCarryCodex(m) && !sameOllamaModel(m.name, tier.model) && fitsFreeMemory(m.sizeBytes, memory) && m.sizeBytes > tierSize,
        )
        .sort((a, b) => b.sizeBytes - a.sizeBytes || a.name.localeCompare(b.name))[0]
    : undefined;
  if (heavier && memory) {
    return {
      model: heavier.name,
      reason: 'installed-heavier',
      installed: true,
      mustPull: false,
      sizeBytes: heavier.sizeBytes,
      fitsFreeMemory: true,
      why: `${heavier.name} (${gb(heavier.sizeBytes)}) is the heaviest installed model with tool support that fits in ${gib(memory.freeBytes)} of free memory; it is heavier than ${tier.model}, the default because ${tierWhy}.`,
    };
  }

  const isInstalled = installed ? tierHave !== undefined : undefined;
  const fits = fitsFreeMemory(tierSize, memory);
  const notes = [
    isInstalled === false ? `it is not installed, so it must be pulled (about ${gb(tierSize)})` : undefined,
    fits === false && memory ? `it may not fit in the ${gib(memory.freeBytes)} free now` : undefined,
  ].filter(Boolean);
  return {
    model: tier.model,
    reason: 'memory-tier',
    installed: isInstalled,
    mustPull: isInstalled === false,
    sizeBytes: tierSize,
    fitsFreeMemory: fits,
    why: `${tier.model}: ${tierWhy}${notes.length ? `; ${notes.join('; ')}` : ''}.`,
  };
}

function describeTiers(): string {
  const [top, ...rest] = OLLAMA_MEMORY_TIERS;
  if (!top) return '';
  return `≥ ${gib(top.minTotalBytes)}: ${top.model}${rest.map(t => `, else ${t.model}`).join('')}`;
}

function gib(n: number): string {
  const v = n / GIB;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} GiB`;
}

function gb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${Math.round(n / 1e6)} MB`;
}
