@echo off
rem The `provenance` command of an installed Provenance Lab: runs the built command with the
rem Node.js inside the app's Electron. Put this folder (resources) on PATH to use it anywhere.
setlocal
if not defined PROVENANCE_MODELS_DIR set "PROVENANCE_MODELS_DIR=%~dp0models"
if not defined PROVENANCE_TRAINING_DIR set "PROVENANCE_TRAINING_DIR=%~dp0training"
set ELECTRON_RUN_AS_NODE=1
"%~dp0..\Provenance Lab.exe" "%~dp0app.asar.unpacked\out\cli\provenance.mjs" %*
exit /b %ERRORLEVEL%
