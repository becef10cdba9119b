// The README that goes into the .vsix. VS Code's extension details page loads README images only
// from https: URLs (its sanitizer empties a relative `src`; microsoft/vscode#43173), and this
// repository has no public URL vsce could rewrite them to. So the packaged README leaves the
// screenshots out and says where they are, instead of showing broken images. The page is read by
// someone who has installed the extension: the repository's own commands (building, testing,
// between the repository-only markers) are left out, so it opens with what the extension does.
// usage: node test/tools/package-readme.mjs [out]   (default: out/README.package.md)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = process.argv[2] ?? join(ROOT, 'out', 'README.package.md');
const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
const packaged = text
  .replace(/^<!-- repository-only:start[^>]*-->\n[\s\S]*?^<!-- repository-only:end -->\n/gm, '')
  .replace(
    /^([ \t]*)!\[([^\]]*)\]\((?!https:)([^)]+)\)[ \t]*$/gm,
    (_, indent, alt, src) => `${indent}*Screenshot in the repository: ${alt} (\`${src}\`).*`,
  );
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, packaged);
console.log(`packaged README: ${out}`);
