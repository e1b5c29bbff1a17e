FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN python -m venv /app/.venv && /app/.venv/bin/pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build /app/.venv/bin/python manage.py collectstatic --noinput -v 0
RUN useradd --system --home /app airspace && chown -R airspace /app
USER airspace
ENV PATH="/app/.venv/bin:$PATH" BIND_ADDRESS=0.0.0.0 PORT=8000
EXPOSE 8000
