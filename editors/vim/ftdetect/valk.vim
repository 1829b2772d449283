" valk.vim: files ending in .valk, and scripts opening with a valk #! line, are Valk.
autocmd BufRead,BufNewFile *.valk setfiletype valk
autocmd BufRead * if getline(1) =~# '^#!.*\<valk\>' | setfiletype valk | endif
