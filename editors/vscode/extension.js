// Starts `cancelcheck lsp` for .spec files (vscode-languageclient over stdio).
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('cancelcheck').get('path') || 'cancelcheck';
  client = new LanguageClient(
    'cancelcheck', 'cancelcheck',
    { command, args: ['lsp'] },
    { documentSelector: [{ language: 'cancelcheck' }] });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
