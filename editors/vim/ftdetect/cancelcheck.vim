" cancelcheck specs: *.spec files with a `spec "title";` declaration (RPM .spec files, which vim
" also knows by that extension, have none).
autocmd BufRead,BufNewFile *.spec if search('^\s*spec\s\+"', 'nw') | set filetype=cancelcheck | endif
