" valk.vim: Vim syntax for Valk (Valkyria). Install: copy editors/vim/* into ~/.vim/ (or the
" share/valk/editors/vim folder make install puts in place).
if exists("b:current_syntax")
  finish
endif

setlocal iskeyword=33,35-39,42-43,45-58,60-90,94-95,97-122,124,126
syn match   valkComment   ";.*$" contains=@Spell
syn match   valkShebang   "\%^#!.*$"
syn region  valkString    start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=valkEscape
syn match   valkEscape    +\\[abfnrtv\\"0]+ contained
syn match   valkNumber    "\<-\=\d\+\(\.\d\+\)\=\([eE][-+]\=\d\+\)\=\>"
syn keyword valkSpecial   def = fun \\ lambda if do let select case otherwise unpack eval load
syn keyword valkSpecial   try throw import export record defmulti defmethod await
syn keyword valkBuiltin   list head tail join len cons print printf error map filter foldl
syn keyword valkBuiltin   fst snd trd nth reverse sum product doc help quit exit shutdown
syn match   valkPrefixed  "\<[a-z0-9]\+/[^ \t(){}\[\]";]\+"
syn match   valkQuoted    "[{}]"
syn match   valkParen     "[()\[\]]"

hi def link valkComment  Comment
hi def link valkShebang  PreProc
hi def link valkString   String
hi def link valkEscape   SpecialChar
hi def link valkNumber   Number
hi def link valkSpecial  Statement
hi def link valkBuiltin  Function
hi def link valkPrefixed Identifier
hi def link valkQuoted   Delimiter
hi def link valkParen    Normal

let b:current_syntax = "valk"
