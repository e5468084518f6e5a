; MedSettle — Inno Setup 6 script (per-machine installer for hospital billing windows).
;
; NOT BUILT IN CI: this script was written and reviewed against the Inno Setup documentation on a
; Linux machine; it has not been compiled or run on Windows yet (see packaging/windows/README.md).
;
; Build (on Windows, after `python packaging\build.py --no-deb` produced dist\medsettle\):
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\..\dist\medsettle /DRedistDir=redist packaging\windows\medsettle.iss
; redist\vcredist_x64.exe = Microsoft Visual C++ 2013 Redistributable (x64), needed by pyzbar's
; libzbar-64.dll / libiconv.dll. It is not in the repository (download it from Microsoft).
;
; Install (silent, for software distribution):
;   medsettle-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /LOG="C:\Windows\Temp\medsettle-setup.log"
;       [/DIR="D:\Apps\MedSettle"] [/CONFIG="\\server\share\medsettle\site.toml"] [/WINDOW=w03]
; Uninstall (keeps data unless /PURGE):
;   "C:\Program Files\MedSettle\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/PURGE]
;
; Layout:
;   {app} = {autopf}\MedSettle (C:\Program Files\MedSettle): the PyInstaller one-dir, read-only for users
;   {commonappdata}\MedSettle (C:\ProgramData\MedSettle): site.toml (+ window-id) — platformdirs'
;       site_config_dir, where MedSettle looks for the site file
;   {commonappdata}\MedSettle\data: local store, backups, logs, secrets (MEDSETTLE_DATA, machine-wide)
; Data is never written under Program Files.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\medsettle"
#endif
#ifndef RedistDir
  #define RedistDir "redist"
#endif
#define AppName "MedSettle"
#define AppNameZh "MedSettle 医保窗口结算"
#define DataRoot "{commonappdata}\MedSettle"

[Setup]
; AppId must never change between versions (upgrades are found by it). Double "{{" escapes the brace.
AppId={{6F1B5E2A-3C4D-4B8E-9A51-7D2C0E9F4A63}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppNameZh} {#AppVersion}
AppPublisher=MedSettle
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=Output
OutputBaseFilename=medsettle-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
SetupLogging=yes
UninstallDisplayName={#AppNameZh}
UninstallDisplayIcon={app}\medsettle.exe
; Close a running MedSettle (Restart Manager) before replacing its files; never restart it silently.
CloseApplications=yes
RestartApplications=no
; The machine-wide MEDSETTLE_DATA variable below is broadcast to running programs.
ChangesEnvironment=yes
VersionInfoVersion={#AppVersion}
VersionInfoDescription={#AppNameZh} Setup

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
#if FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
Name: "zh"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#endif

[CustomMessages]
en.PurgeQuestion=Also delete ALL MedSettle data on this computer (local database, backups, logs, stored secrets and the site configuration under %1)?%n%nChoose No to keep them (recommended: a reinstall continues with the same data).
en.VCRedistFailed=The Microsoft Visual C++ 2013 runtime (x64) could not be installed (exit code %1). QR-code scanning will not work. Install vcredist_x64.exe manually and run setup again.
en.DesktopIcon=Create a desktop shortcut
en.TrainingShortcut=MedSettle training mode
en.SelftestShortcut=MedSettle self-test
#if FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
zh.PurgeQuestion=是否同时删除本机的全部 MedSettle 数据（本机数据库、备份、日志、已保存的密钥和 %1 下的站点配置）？%n%n选择“否”保留数据（推荐：重新安装后可继续使用原有数据）。
zh.VCRedistFailed=无法安装 Microsoft Visual C++ 2013 运行库（x64，退出码 %1），二维码识别将不能使用。请手动安装 vcredist_x64.exe 后重新运行安装程序。
zh.DesktopIcon=创建桌面快捷方式
zh.TrainingShortcut=MedSettle 培训模式
zh.SelftestShortcut=MedSettle 安装自检
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:DesktopIcon}"; Flags: unchecked

[Dirs]
; One data root for every cashier account on a shared till. Users may modify (the store, logs and
; backups are written by whoever is signed in at the window); Program Files stays read-only.
Name: "{#DataRoot}"; Permissions: users-modify; Flags: uninsneveruninstall
Name: "{#DataRoot}\data"; Permissions: users-modify; Flags: uninsneveruninstall

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
; VC++ 2013 x64 runtime for libzbar-64.dll: extracted and run from PrepareToInstall (only when missing).
Source: "{#RedistDir}\vcredist_x64.exe"; Flags: dontcopy noencryption
; Site configuration given with /CONFIG=<file>: copied as site.toml (replaces an older one; the
; previous file is kept as site.toml.bak by CurStepChanged). Never removed by the uninstaller.
Source: "{param:CONFIG}"; DestDir: "{#DataRoot}"; DestName: "site.toml"; Flags: external ignoreversion uninsneveruninstall; Check: ConfigGiven

[Registry]
; Machine-wide data directory for every user of this computer (removed on uninstall).
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; ValueName: "MEDSETTLE_DATA"; ValueData: "{#DataRoot}\data"; Flags: uninsdeletevalue

[Icons]
Name: "{group}\{#AppNameZh}"; Filename: "{app}\medsettle-window.exe"; WorkingDir: "{#DataRoot}"
Name: "{group}\{cm:TrainingShortcut}"; Filename: "{app}\medsettle-window.exe"; Parameters: "--training"; WorkingDir: "{#DataRoot}"
Name: "{group}\{cm:SelftestShortcut}"; Filename: "{cmd}"; Parameters: "/k ""{app}\medsettle.exe"" selftest"; WorkingDir: "{#DataRoot}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppNameZh}"; Filename: "{app}\medsettle-window.exe"; WorkingDir: "{#DataRoot}"; Tasks: desktopicon

[Run]
; Offered on the last wizard page only (never in a silent install).
Filename: "{app}\medsettle-window.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent unchecked

[UninstallDelete]
; Bytecode or stray files written next to the program (never data: data is under ProgramData).
Type: filesandordirs; Name: "{app}\_internal\__pycache__"

[Code]
const
  VCRedistKey = 'SOFTWARE\Microsoft\VisualStudio\12.0\VC\Runtimes\x64';

{ True when /<Name> or /<Name>=... is on the command line (Setup or Uninstall). }
function HasSwitch(const Name: String): Boolean;
var
  I: Integer;
  P: String;
begin
  Result := False;
  for I := 1 to ParamCount do
  begin
    P := Uppercase(ParamStr(I));
    if (P = '/' + Uppercase(Name)) or (Pos('/' + Uppercase(Name) + '=', P) = 1) then
    begin
      Result := True;
      Exit;
    end;
  end;
end;

function ConfigGiven: Boolean;
begin
  Result := ExpandConstant('{param:CONFIG|}') <> '';
end;

{ VC++ 2013 x64 is installed when the documented Runtimes key says Installed=1 (64-bit or 32-bit
  registry view), or msvcr120.dll is present in the 64-bit system directory. }
function VCRedist2013Installed: Boolean;
var
  Installed: Cardinal;
begin
  Result := False;
  if RegQueryDWordValue(HKLM64, VCRedistKey, 'Installed', Installed) and (Installed = 1) then
    Result := True
  else if RegQueryDWordValue(HKLM32, VCRedistKey, 'Installed', Installed) and (Installed = 1) then
    Result := True
  else if FileExists(ExpandConstant('{sys}\msvcr120.dll')) then
    Result := True;
end;

function PrepareToInstall(var NeedsRestart: Boolean): String;
var
  ResultCode: Integer;
begin
  Result := '';
  if VCRedist2013Installed then
  begin
    Log('VC++ 2013 x64 runtime already installed');
    Exit;
  end;
  ExtractTemporaryFile('vcredist_x64.exe');
  Log('Installing the VC++ 2013 x64 runtime');
  if not Exec(ExpandConstant('{tmp}\vcredist_x64.exe'), '/install /quiet /norestart', '',
              SW_HIDE, ewWaitUntilTerminated, ResultCode) then
    ResultCode := -1;
  Log(Format('vcredist_x64.exe exit code %d', [ResultCode]));
  { 0 = installed, 1638 = a newer version is already there, 3010 = installed, restart needed }
  if ResultCode = 3010 then
    NeedsRestart := True
  else if (ResultCode <> 0) and (ResultCode <> 1638) then
    Result := FmtMessage(CustomMessage('VCRedistFailed'), [IntToStr(ResultCode)]);
end;

procedure CurStepChanged(CurStep: TSetupStep);
var
  Site: String;
  ResultCode: Integer;
begin
  Site := ExpandConstant('{#DataRoot}\site.toml');
  if (CurStep = ssInstall) and ConfigGiven and FileExists(Site) then
  begin
    { keep the previous site file next to the new one }
    if not CopyFile(Site, Site + '.bak', False) then
      Log('could not keep a copy of the previous site.toml');
  end;
  if CurStep = ssPostInstall then
  begin
    if ExpandConstant('{param:WINDOW|}') <> '' then
      SaveStringToFile(ExpandConstant('{#DataRoot}\window-id'), ExpandConstant('{param:WINDOW|}'), False);
    if FileExists(Site) then
    begin
      { validate the rolled-out configuration; the result goes to the setup log (/LOG) }
      if Exec(ExpandConstant('{app}\medsettle.exe'), 'config check --config "' + Site + '"', '',
              SW_HIDE, ewWaitUntilTerminated, ResultCode) then
        Log(Format('medsettle config check exit code %d (0 = usable, 2 = errors)', [ResultCode]))
      else
        Log('could not run medsettle config check');
    end;
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Root: String;
  Purge: Boolean;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    Root := ExpandConstant('{#DataRoot}');
    if not DirExists(Root) then
      Exit;
    { Silent uninstall: data is removed only with /PURGE. Interactive: ask, default No. }
    Purge := HasSwitch('PURGE');
    if (not Purge) and (not UninstallSilent) then
      Purge := MsgBox(FmtMessage(CustomMessage('PurgeQuestion'), [Root]), mbConfirmation,
                      MB_YESNO or MB_DEFBUTTON2) = IDYES;
    if Purge then
    begin
      Log('Purging MedSettle data: ' + Root);
      if not DelTree(Root, True, True, True) then
        Log('some data files could not be deleted: ' + Root);
    end
    else
      Log('MedSettle data kept: ' + Root);
  end;
end;
