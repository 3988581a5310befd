-- SPDX-License-Identifier: LGPL-2.1-or-later
-- Driven by tests/lsp-nvim.py: Neovim's own LSP client against our server.
-- Opens a domain, waits for our diagnostics, applies the quick fix the
-- server offers, waits for the diagnostics to clear, and saves the buffer.
local bin, root, file, report = unpack(_G.hp_args)
local lines = {}
local function say(k, v) table.insert(lines, k .. '=' .. tostring(v)) end
local function finish()
  local f = io.open(report, 'w'); f:write(table.concat(lines, '\n') .. '\n'); f:close()
  vim.cmd('qa!')
end

vim.cmd('edit ' .. file)
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start_client({
  name = 'hostdev-preflight',
  cmd = { bin, 'lsp', '--no-libvirt-schemas' },
  root_dir = vim.fn.fnamemodify(file, ':h'),
  init_options = { host = root, kernelRelease = '6.12.0-hp' },
})
vim.lsp.buf_attach_client(buf, id)
local client = vim.lsp.get_client_by_id(id)

say('diagnostics', vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 20))
local diags = vim.diagnostic.get(buf)
for _, d in ipairs(diags) do say('diag', tostring(d.code) .. '@' .. d.lnum .. ':' .. d.col) end
if #diags == 0 then return finish() end

-- the quick fix for the first finding, as a user's code-action key asks it
local d = diags[1]
local params = vim.lsp.util.make_range_params()
params.range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } }
params.context = { diagnostics = { { range = params.range, code = d.code, message = d.message, severity = d.severity } } }
local resp = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, 20000)
local action
for _, r in pairs(resp or {}) do
  for _, a in ipairs(r.result or {}) do action = action or a end
end
say('action', action and action.title or 'none')
if not action then return finish() end
vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)

say('cleared', vim.wait(20000, function() return #vim.diagnostic.get(buf) == 0 end, 20))
vim.cmd('write')
vim.lsp.stop_client(id)
finish()
