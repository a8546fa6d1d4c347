// The header must compile as C++ (-std=c++17 -Wall -Wextra -Werror -pedantic) and link: this
// program uses a few declarations of every kind and checks the version call at run time.
#include "agentdb.h"

#include <cstdio>
#include <cstring>

static_assert(AGENTDB_OK == 0, "AGENTDB_OK is 0");
static_assert(sizeof(agentdb_metric) == 4, "agentdb_metric is an int32_t");

int main() {
    agentdb_db *db = nullptr;
    agentdb_status s = agentdb_open(nullptr, &db);
    if (s != AGENTDB_NULL_POINTER || db != nullptr || std::strlen(agentdb_errmsg()) == 0) {
        std::printf("C++ header check failed: %s\n", agentdb_errmsg());
        return 1;
    }
    bool has_index = true; // the header's bool (<stdbool.h>) is C++'s bool
    if (agentdb_index_params(nullptr, &has_index, nullptr, nullptr) != AGENTDB_NULL_POINTER || has_index) {
        std::printf("C++ header check failed: agentdb_index_params: %s\n", agentdb_errmsg());
        return 1;
    }
    agentdb_metric m = AGENTDB_METRIC_COSINE;
    (void)m;
    std::printf("ok   header compiles and links as C++17 (agentdb %s)\n", agentdb_version());
    return 0;
}
