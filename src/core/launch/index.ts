// Starting local servers: pure argv builders, readiness, Ollama pulls, wrapper scripts, README table.
export * from './argv';
export * from './readiness';
export * from './ollama-pull';
export * from './wrapper';
export * from './mirror-table';
export * from './process';
export * from './chatTemplate';
export * from './gguf';
