"""Every metric the dashboard and the alerts may query (histograms by their _bucket series);
the services must expose each."""

METRICS = {
    "inferlane_grpc_server_handled_total",
    "inferlane_grpc_server_handling_seconds_bucket",
    "inferlane_http_requests_total",
    "inferlane_http_request_duration_seconds_bucket",
    "inferlane_outbox_lag_seconds",
    "inferlane_outbox_pending",
    "inferlane_model_latency_seconds_bucket",
    "inferlane_tasks_active",
    "inferlane_tasks_queue_oldest_seconds",
    "inferlane_task_duration_seconds_bucket",
    "inferlane_task_rows_total",
    "inferlane_dead_letters",
    "nv_inference_request_success",
    "nv_inference_queue_duration_us",
}
