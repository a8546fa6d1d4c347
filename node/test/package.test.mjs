// The package as a user gets it: `npm pack` (the addon inside), the tarball installed into an
// empty directory, and the README's example (examples/node/quickstart.mjs) run from there, plus
// the TypeScript example type-checked against the installed declarations.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)))
const root = dirname(pkgDir)
const examples = join(root, 'examples', 'node')

test('the README Node.js example is examples/node/quickstart.mjs', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.split(/^## /m).find((s) => s.startsWith('Node.js'))
  assert.ok(section, 'README has a "## Node.js" section')
  const block = /```js\n([\s\S]*?)```/.exec(section)
  assert.ok(block, 'with a js block')
  assert.equal(block[1], readFileSync(join(examples, 'quickstart.mjs'), 'utf8'))
})

test('npm pack, install the tarball into an empty directory, run the example there', { timeout: 600_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'agentdb-npm-'))
  try {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: pkgDir, encoding: 'utf8' })
    const [info] = JSON.parse(out)
    const files = info.files.map((/** @type {{ path: string }} */ f) => f.path).sort()
    assert.deepEqual(files, ['README.md', 'agentdb.node', 'errors.d.ts', 'errors.js', 'index.d.ts', 'index.js', 'index.mjs', 'native.d.ts', 'package.json'])
    const app = join(work, 'app')
    execFileSync('mkdir', ['-p', app])
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', join(work, info.filename)], { cwd: app, stdio: 'pipe' })
    assert.ok(existsSync(join(app, 'node_modules', 'agentdb-embedded', 'agentdb.node')))
    // The tarball is deleted first: the installed copy must stand alone.
    rmSync(join(work, info.filename))
    copyFileSync(join(examples, 'quickstart.mjs'), join(app, 'quickstart.mjs'))
    const run = execFileSync(process.execPath, ['quickstart.mjs'], { cwd: app, encoding: 'utf8', env: { ...process.env, AGENTDB_NODE_ADDON: '' } })
    assert.match(run, /\[ 'a', 'c' \] \[ 'about cats', 'more cats' \]/)
    assert.match(run, /duplicate_id/)
    assert.match(run, /prefers green tea/)
    assert.match(run, /\{ step: 2 \}/)
    // The TypeScript example against the installed declarations (the repo's tsc).
    copyFileSync(join(examples, 'typed.ts'), join(app, 'typed.ts'))
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'esnext.disposable'], types: ['node'], typeRoots: [join(pkgDir, 'node_modules', '@types')], strict: true, noEmit: true },
      files: ['typed.ts'],
    }))
    execFileSync(process.execPath, [join(pkgDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, stdio: 'pipe' })
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
})
