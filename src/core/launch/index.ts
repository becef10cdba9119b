// Starting local servers: pure argv builders, readiness, Ollama pulls, wrapper scripts, README table.
export * from './argv';
export * from './readiness';
export * from './ollamaPull';
export * from './wrapper';
export * from './mirrorTable';
export * from './process';
export * from './chatTemplate';
export * from './gguf';
