@echo off
rem Monthly run for Windows: double-click. Installs on first use (again when an install was cut short),
rem reads the inbox, opens the status page. pushd, not cd /d: it also works from a network share.
chcp 65001 >nul
pushd "%~dp0"
if exist ".venv\cai-dat-xong.txt" goto :run
echo Cài đặt chương trình (cần mạng Internet, vài phút)...
call :find_python
if not defined PY goto :no_python
if not exist ".venv\Scripts\python.exe" %PY% -m venv .venv
".venv\Scripts\python.exe" -m pip install -r requirements.txt
if errorlevel 1 goto :install_failed
echo %DATE% %TIME%> ".venv\cai-dat-xong.txt"

:run
".venv\Scripts\python.exe" run_pipeline.py run --open %*
set "CODE=%errorlevel%"
echo.
if "%CODE%"=="0" echo Mã kết thúc 0: mọi việc ổn.
if "%CODE%"=="1" echo Mã kết thúc 1: còn việc chờ xử lý – tệp bị trả lại, tệp chờ xác nhận hoặc tệp chưa đọc được (xem trang tình hình báo cáo).
if "%CODE%"=="2" echo Mã kết thúc 2: lỗi, đọc dòng «Lỗi:» ở trên.
if %CODE% GTR 2 echo Mã kết thúc %CODE%: chương trình dừng bất thường; chụp màn hình cửa sổ này gửi bộ phận kỹ thuật.
if %CODE% LSS 0 echo Mã kết thúc %CODE%: chương trình dừng bất thường; chụp màn hình cửa sổ này gửi bộ phận kỹ thuật.
pause
popd
exit /b %CODE%

:no_python
echo Cần Python 3.11.5 trở lên. Hãy cài Python 3.11 hoặc mới hơn từ https://www.python.org (đánh dấu «Add python.exe to PATH») rồi chạy lại.
goto :stop

:install_failed
echo Cài đặt chưa xong (mạng bị ngắt?). Chạy lại tệp này để cài tiếp.
goto :stop

:stop
pause
popd
exit /b 2

:find_python
rem The newest Python the py launcher knows, from 3.11.5 on (3.11.0-3.11.4 cannot install the pinned packages).
set "PY="
for %%V in (3.14 3.13 3.12 3.11) do if not defined PY py -%%V -c "import sys; sys.exit(sys.version_info < (3, 11, 5))" >nul 2>&1 && set "PY=py -%%V"
if not defined PY python -c "import sys; sys.exit(sys.version_info < (3, 11, 5))" >nul 2>&1 && set "PY=python"
exit /b 0
