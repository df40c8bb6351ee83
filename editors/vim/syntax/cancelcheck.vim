" Vim syntax file for cancelcheck specs (*.spec). Language: docs/spec-language.md.
if exists("b:current_syntax")
  finish
endif

syn keyword ccDeclaration spec const device queue target request lock event timer global symbolic
syn keyword ccDeclaration context filter miniport conversation environment option fn thread
syn keyword ccDeclaration protocol dpc workitem interrupt waitlock
syn keyword ccStatement if else while for break continue return atomic
syn keyword ccEnvironment arrive cancel stop send cancel_send cancel_id any suspend purge
syn keyword ccOption sequential parallel manual power_managed sync_device cancelable uncancelable
syn keyword ccOption pending late may_fail completes automatic partner_may_not_answer
syn keyword ccOption sync_queue passive periodic parent unsynchronized synchronized
syn keyword ccType bool int status nbl task vcb list
syn keyword ccBoolean TRUE FALSE NULL
syn match ccApi "\<\(Wdf\a\+\|Ke\u\a\+\|Ndis\a\+\|NDIS_[SG]ET_NET_BUFFER_LIST_CANCEL_ID\|NET_BUFFER_LIST_\(SET_\)\=NEXT_NBL\|WinAsyncAPPC\|WinAPPC\a\+\|GetMessage\|vcb_\(alloc\|free\|primary_rc\)\|Interlocked\a\+\|NT_SUCCESS\)\ze\s*("
syn match ccBuiltin "\<\(push\|pop\|remove\|empty\|assert\|assume\)\ze\s*("
syn match ccConstant "\<\(STATUS_\|NDIS_STATUS_\|AP_\|WAPPC\|WdfRequestStopAction\|WDF_REQUEST_\|WdfPowerDevice\|WdfIoTarget\(Started\|Stopped\|Purged\|CancelSentIo\|WaitForSentIoToComplete\|LeaveSentIoPending\|PurgeIo\)\|WDF_NO_SEND_OPTIONS\)[A-Za-z0-9_]*\>"
syn match ccNumber "\<\(0[xX]\x\+\|\d\+\)\>"
syn region ccString start=+"+ skip=+\\.+ end=+"+ oneline
syn match ccComment "//.*$"
syn region ccComment start="/\*" end="\*/"

hi def link ccDeclaration Structure
hi def link ccStatement Statement
hi def link ccEnvironment Keyword
hi def link ccOption StorageClass
hi def link ccType Type
hi def link ccBoolean Boolean
hi def link ccApi Function
hi def link ccBuiltin Function
hi def link ccConstant Constant
hi def link ccNumber Number
hi def link ccString String
hi def link ccComment Comment

let b:current_syntax = "cancelcheck"
