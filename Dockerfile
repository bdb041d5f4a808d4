# dlplay in a container: the app on port 8501. Build: docker build -t dlplay .   Run: docker run -p 8501:8501 dlplay
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OMP_WAIT_POLICY=PASSIVE \
    DLPLAY_DATA_DIR=/data

WORKDIR /app
# The pinned set the tests run with (torch's default wheel carries CUDA: it uses a GPU when the host passes one in).
# For a smaller CPU-only image, first: pip install --index-url https://download.pytorch.org/whl/cpu torch==2.15.0 torchvision==0.29.2
COPY requirements.txt pyproject.toml README.md ./
RUN pip install -r requirements.txt
COPY app.py ./
COPY .streamlit .streamlit
COPY chapters chapters
COPY dlplay dlplay
RUN pip install --no-deps --no-build-isolation -e . && mkdir -p /data

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health')"
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0", "--browser.gatherUsageStats", "false"]
