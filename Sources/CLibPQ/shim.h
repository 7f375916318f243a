#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

#include <libpq-fe.h>

// The PG_DIAG_* field codes are character-literal macros, which Swift does not import.
static inline int clibpq_diag_sqlstate(void) {
    return PG_DIAG_SQLSTATE;
}

static inline int clibpq_diag_message_primary(void) {
    return PG_DIAG_MESSAGE_PRIMARY;
}

// libpq's default notice processor prints server notices (a ROLLBACK outside a
// transaction, say) to stderr, past the application's logger.
static inline void clibpq_ignore_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

static inline void clibpq_silence_notices(PGconn *conn) {
    PQsetNoticeProcessor(conn, clibpq_ignore_notice, NULL);
}

#endif
