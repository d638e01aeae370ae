FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY workers ./workers
COPY config ./config
RUN pip install --no-cache-dir . && useradd --create-home newswatch
USER newswatch
ENTRYPOINT ["newswatch"]
CMD ["run"]
