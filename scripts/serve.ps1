# Windows (PowerShell): install bridge into .venv and serve the shipped models over OSC on
# 127.0.0.1:57120, like scripts/serve.sh. Extra arguments go to `bridge serve` (a second
# --port wins over the first):
#
#   powershell -ExecutionPolicy Bypass -File scripts\serve.ps1
#   powershell -ExecutionPolicy Bypass -File scripts\serve.ps1 --port 57130
#
# Needs Python 3.10 or newer (python.org's installer gives the `py` launcher). Not yet tried
# on Windows: see the README's "Install on macOS, Windows and Linux".
param()
$ErrorActionPreference = 'Stop'
$ServeArgs = $args
Set-Location (Split-Path -Parent $PSScriptRoot)

# A native command's exit code is not covered by $ErrorActionPreference: check each one.
function Invoke-Checked([string] $Exe, [string[]] $Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "serve.ps1: failed ($LASTEXITCODE): $Exe $($Arguments -join ' ')"
    }
}

$py = '.venv\Scripts\python.exe'
$bridge = '.venv\Scripts\bridge.exe'
$stamp = '.venv\.bridge-installed'
if (-not (Test-Path $py)) {
    Write-Host 'serve.ps1: creating .venv'
    if (Get-Command py -ErrorAction SilentlyContinue) {
        Invoke-Checked 'py' @('-3', '-m', 'venv', '.venv')
    } else {
        Invoke-Checked 'python' @('-m', 'venv', '.venv')
    }
}
# Installed once, and again when pyproject.toml changes (editable, as scripts/setup.sh does:
# code changes need no reinstall). torch first and pinned: PyPI's Windows wheels are the CPU
# build. The [train] extra is music21, for bridge train and eval.
$hash = (Get-FileHash 'pyproject.toml' -Algorithm SHA256).Hash
$installed = if (Test-Path $stamp) { (Get-Content $stamp -Raw).Trim() } else { '' }
if (-not (Test-Path $bridge) -or $installed -ne $hash) {
    Write-Host 'serve.ps1: pip install torch==2.13.0 and bridge (a few minutes the first time)'
    Invoke-Checked $py @('-m', 'pip', 'install', '-q', 'torch==2.13.0')
    Invoke-Checked $py @('-m', 'pip', 'install', '-q', '-e', '.[train]')
    Set-Content -Path $stamp -Value $hash
}

& $bridge serve --port 57120 @ServeArgs
exit $LASTEXITCODE
