import * as vscode from 'vscode';
import type { FormatOptions } from '../../engine/language/format.js';

const SECTION = 'microDataWarehouse';

/** The language settings (declared in package.json), read per use so changes apply at once. */
export interface LanguageSettings {
  keywordCase: FormatOptions['keywordCase'];
  /** Spaces per indent; 0 follows the editor's tab size. */
  indent: number;
  diagnostics: boolean;
  codeLens: boolean;
}

export const LANGUAGE_SETTINGS = {
  keywordCase: 'format.keywordCase',
  indent: 'format.indent',
  diagnostics: 'language.diagnostics',
  codeLens: 'language.codeLens',
} as const;

export function readLanguageSettings(): LanguageSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const keywordCase = c.get<string>(LANGUAGE_SETTINGS.keywordCase, 'preserve');
  const indent = c.get<number>(LANGUAGE_SETTINGS.indent, 0);
  return {
    keywordCase: keywordCase === 'upper' || keywordCase === 'lower' ? keywordCase : 'preserve',
    indent: Number.isInteger(indent) && indent > 0 ? Math.min(indent, 16) : 0,
    diagnostics: c.get<boolean>(LANGUAGE_SETTINGS.diagnostics, true),
    codeLens: c.get<boolean>(LANGUAGE_SETTINGS.codeLens, true),
  };
}

export function affectsLanguage(
  event: vscode.ConfigurationChangeEvent,
  key: keyof typeof LANGUAGE_SETTINGS,
): boolean {
  return event.affectsConfiguration(`${SECTION}.${LANGUAGE_SETTINGS[key]}`);
}
