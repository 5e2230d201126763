#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H
/* Token files for engine tests, made from the text fixture in tests/fixtures/corpus
 * with a small BPE (vocab 384) into a fresh temporary directory. */
#include <stddef.h>
#include <stdint.h>
int fixture_make_data(char *dir, size_t len);
/* Removes a directory tree made by a test (only plain files and directories). */
void fixture_remove_tree(const char *dir);
/* The whole file, malloc'd with one spare byte, its size in *n; NULL when unreadable. */
uint8_t *fixture_read_file(const char *path, size_t *n);
#endif
