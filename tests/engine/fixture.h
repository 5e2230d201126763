#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H
/* Token files for engine tests, made from the text fixture in tests/fixtures/corpus
 * with a small BPE (vocab 384) into a fresh temporary directory. */
#include <stddef.h>
int fixture_make_data(char *dir, size_t len);
/* Removes a directory tree made by a test (only plain files and directories). */
void fixture_remove_tree(const char *dir);
#endif
