@echo off
rem Monthly run for Windows: double-click. Installs on first use, reads the inbox, opens the status page.
chcp 65001 >nul
cd /d "%~dp0"
if not exist ".venv\Scripts\python.exe" (
  echo Lần đầu chạy: đang cài đặt chương trình (cần mạng Internet, vài phút^)...
  py -3 -m venv .venv 2>nul || python -m venv .venv
  if errorlevel 1 (
    echo Chưa có Python 3.11 trên máy. Hãy cài Python từ https://www.python.org rồi chạy lại.
    pause
    exit /b 2
  )
  ".venv\Scripts\python.exe" -m pip install -r requirements.txt
)
".venv\Scripts\python.exe" run_pipeline.py run --open %*
echo.
echo Mã kết thúc %errorlevel%: 0 – mọi việc ổn; 1 – có tệp bị trả lại (xem trang tình hình báo cáo); 2 – lỗi, đọc dòng «Lỗi:» ở trên.
pause
