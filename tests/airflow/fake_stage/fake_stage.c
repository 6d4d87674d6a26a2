/* A throwaway stage for the Docker tests: prints a stage-style log line on stderr, waits
 * FAKE_SLEEP_MS milliseconds (so the test can `docker inspect` the running container), prints
 * a one-line JSON run summary on stdout and exits with FAKE_EXIT (default 0). Built with
 * `gcc -static` into an image FROM scratch. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    const char *code_s = getenv("FAKE_EXIT");
    const char *sleep_s = getenv("FAKE_SLEEP_MS");
    const char *db = getenv("HOOPCAST_DB");
    const char *profile = getenv("HOOPCAST_ENV");
    const char *secret = getenv("ESPN_API_TOKEN");
    int code = code_s ? atoi(code_s) : 0;
    fprintf(stderr, "fake stage: %d arguments\n", argc - 1);
    fflush(stderr);
    if (sleep_s) {
        long ms = atol(sleep_s);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    printf("{\"stage\": \"fake\", \"command\": \"%s\", \"as_of\": \"%s\", \"status\": \"%s\", "
           "\"exit_code\": %d, \"counts\": {\"args\": %d}, \"db\": \"%s\", \"profile\": \"%s\", "
           "\"has_secret\": %s, \"error\": %s}\n",
           argc > 1 ? argv[1] : "", argc > 3 ? argv[3] : "", code == 0 ? "success" : "failed",
           code, argc - 1, db ? db : "", profile ? profile : "", secret ? "true" : "false",
           code == 0 ? "null" : "\"fake failure\"");
    fflush(stdout);
    return code;
}
