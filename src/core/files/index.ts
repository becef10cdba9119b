// The one file-safety layer: every file the product reads from a user (configs, settings, reports,
// templates, models) and every file it replaces goes through here. See read.ts, write.ts,
// backups.ts, restore.ts and lock.ts for what each guarantees.
export * from './read';
export * from './lock';
export * from './backups';
export * from './write';
export * from './restore';
