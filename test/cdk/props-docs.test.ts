/**
 * The construct library's props follow the CDK convention: every prop is `readonly` (a construct reads its
 * props once, in the constructor; a caller mutating them afterwards changes nothing and should not compile),
 * and every optional prop says with `@default` what leaving it out means, so a reader of the API never has
 * to open the constructor to find out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const LIB = join(__dirname, '..', '..', 'lib');

interface Finding {
  file: string;
  prop: string;
  problem: string;
}

function propsInterfaces(source: ts.SourceFile): ts.InterfaceDeclaration[] {
  return source.statements.filter(
    (s): s is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(s) &&
      /(Props|Input)$/.test(s.name.text) &&
      (s.modifiers ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword),
  );
}

function check(file: string, text: string): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const findings: Finding[] = [];
  for (const declaration of propsInterfaces(source)) {
    for (const member of declaration.members) {
      if (!ts.isPropertySignature(member)) continue;
      const prop = `${declaration.name.text}.${member.name.getText(source)}`;
      if (!(member.modifiers ?? []).some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword))
        findings.push({ file, prop, problem: 'not readonly' });
      const documentsDefault = ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'default');
      if (member.questionToken && !documentsDefault)
        findings.push({ file, prop, problem: 'optional without @default' });
    }
  }
  return findings;
}

const libFiles = readdirSync(LIB).filter((name) => name.endsWith('.ts'));

describe('lib/ props: readonly, and @default on every optional prop', () => {
  it.each(libFiles)('%s', (name) => {
    expect(check(name, readFileSync(join(LIB, name), 'utf8'))).toEqual([]);
  });

  it('the check itself flags a mutable prop and an undocumented optional one', () => {
    const text = [
      'export interface ExampleProps {',
      '  name: string;',
      '  /** Documented. @default 3 */',
      '  readonly retries?: number;',
      '  readonly timeout?: number;',
      '}',
    ].join('\n');
    expect(check('example.ts', text)).toEqual([
      { file: 'example.ts', prop: 'ExampleProps.name', problem: 'not readonly' },
      { file: 'example.ts', prop: 'ExampleProps.timeout', problem: 'optional without @default' },
    ]);
  });
});
