/*
 * The four NL2Bash file systems of InterCode-Bash, translated from princeton-nlp/intercode (MIT License, copyright the
 * InterCode authors): docker/bash_scripts/setup_nl2b_fs_{1,2,3,4}.sh, docker/nl2bash.Dockerfile and
 * docker/docker.gitignore, as stored at commit 69922e2f331b36a7d94b5da4a7ed10289e6c4c94. The task files come from the
 * earlier commit c3e46d827cfc9d4c704ec078f7abf9f41e3191d8 (INTERCODE_COMMIT); the set-up scripts and the Dockerfile are
 * the same at both commits as far as the task data is concerned (the tasks name exactly the paths these scripts make).
 */

/** Which of upstream's four images (intercode-nl2bash-1..4) a task runs in. */
export type IntercodeBashFileSystem = 1 | 2 | 3 | 4;

/**
 * The directories the set-up scripts write outside the workspace: the sandbox must mount each as a writable scratch
 * directory (SANDBOX_SCRATCH_DIRS), since the sandbox's root, unlike the image's, is read-only.
 */
export const INTERCODE_BASH_SCRATCH_DIRS: readonly string[] = Object.freeze(['/testbed', '/system', '/backup']);

/**
 * The trees whose changes count, as `git status` at / lists them upstream (the image commits / with a .gitignore that
 * skips the system folders): the scratch directories, /tmp and the workspace. Files directly in / cannot change here
 * (the sandbox's root is read-only), so they are not compared.
 */
export const INTERCODE_BASH_COMPARED_ROOTS: readonly string[] = Object.freeze(['/backup', '/system', '/testbed', '/tmp', '/workspace']);

/**
 * docker.gitignore's folder patterns: with no slash in them, git skips a file or folder of that name at any depth
 * (e.g. /testbed/lib/x too), so a change under such a name is not a change.
 */
export const INTERCODE_BASH_GITIGNORED_NAMES: ReadonlySet<string> = new Set([
  'bin',
  'boot',
  'dev',
  'etc',
  'home',
  'lib',
  'media',
  'opt',
  'proc',
  'root',
  'run',
  'sbin',
  'srv',
  'sys',
  'usr',
  'var',
  '.dockerenv',
]);

/**
 * The instant the image is taken to have been built (2023-06-01T00:00:00Z, just after the scripts' latest `touch -t`
 * stamp, 2023-05-31 23:59:59): every file the scripts make without a stamp of their own gets this mtime, and so do the
 * archives' members. Upstream they carry the build's real time, which the gold run (a fresh container) and the agent's
 * container share; here the session and the judge's fresh sandboxes are set up at different moments, so the time is
 * pinned, or `find -mmin`, `ls -l` and the archives' bytes would tell them apart.
 */
export const INTERCODE_BASH_BUILD_EPOCH = 1_685_577_600;

/** Printed by the set-up when a scratch directory is missing or read-only (the sandbox lacks SANDBOX_SCRATCH_DIRS). */
export const INTERCODE_BASH_NO_SCRATCH_MARK = 'LEMUR_INTERCODE_NO_SCRATCH_DIR';

/** Pins the mtimes under its arguments that are later than the build instant (see INTERCODE_BASH_BUILD_EPOCH). */
const PIN_FUNCTION = `__lemur_pin_mtimes() { find "$@" -newermt @${INTERCODE_BASH_BUILD_EPOCH} -exec touch -h -d @${INTERCODE_BASH_BUILD_EPOCH} {} + 2>/dev/null; }`;

/**
 * The set-up scripts as upstream wrote them, run by GNU bash and coreutils as in upstream's Ubuntu image, so their
 * mistakes have the same effects there and here: fs 3's `date -v-1d` is BSD-only (GNU date fails, `touch -t` gets
 * the file name as its date and /workspace/recent.txt is never made; the archive then holds foo.txt alone), as are its
 * `mkdir -d` (no test/1dir) and the impossible dates 2023-02-31 and 2023-04-31 (no old.txt, old1.txt); fs 2's
 * 11-digit `-t20230522359.59` makes no /system/old.txt, `echo - e` writes "- e" and a literal "\n", and
 * `touch .placeholder` runs in / (read-only here: no /.placeholder); fs 1's /index.html cannot be written to the
 * read-only root either. The one addition: a `__lemur_pin_mtimes` line before each `tar`, so the archive's members
 * carry the pinned build time (gzip already writes no time stamp when tar pipes into it).
 */
const UPSTREAM_SCRIPTS: Record<IntercodeBashFileSystem, string> = {
  1: String.raw`rm -rf /testbed/

## directories
mkdir -p /testbed/dir1/subdir1/subsubdir1
mkdir -p /testbed/dir1/subdir2
mkdir -p /testbed/dir2/subdir1
mkdir -p /testbed/dir2/subdir2/subsubdir1
mkdir -p /testbed/dir3/subdir1/subsubdir1
mkdir -p /testbed/dir3/subdir2
mkdir -p /testbed/dir3/subdir1/subsubdir1/tmp
mkdir -p /testbed/dir3/subdir1/subsubdir1/FooBar

## text files
echo 'Hello, World!' > /testbed/dir1/textfile1.txt
echo -e 'text file\nAnother text file' > /testbed/dir2/subdir1/textfile2.txt
echo -e 'text file\nYet another text file' > /testbed/dir3/subdir1/subsubdir1/textfile3.txt
echo 'Text file 4\nGene 1' > /testbed/dir1/subdir1/textfile4.txt
echo 'Text file 5Gene 2' > /testbed/dir2/subdir2/textfile5.txt
echo 'Text file 6' > /testbed/dir3/textfile6.txt
echo 'Text file 7 with some random contents in it' > /testbed/textfile7.txt
echo 'Text file in tmp' > /testbed/dir3/subdir1/subsubdir1/file.txt
# some timestamp modified files
touch -m -t202305312359.59 /testbed/recent.txt
echo 'Text file in tmp' > /testbed/dir3/subdir1/subsubdir1/tmp/tmp.txt
touch -m -t202205312359.59 /testbed/dir3/subdir1/subsubdir1/tmp/tmp.txt

## shell scripts
echo -e '#!/bin/sh\necho "Shell script 1"' > /testbed/dir1/subdir1/shellscript1.sh
echo -e '#!/bin/sh\necho "Shell script 2"' > /testbed/dir2/shellscript2.sh
echo -e '#!/bin/sh\necho "Shell script 3"' > /testbed/dir3/subdir1/subsubdir1/shellscript3.sh
echo -e '#!/bin/sh\necho "Shell script 4"' > /testbed/dir1/subdir1/subsubdir1/shellscript4.sh
echo -e '#!/bin/sh\necho "Shell script 5"' > /testbed/dir2/subdir2/shellscript5.sh
chmod +x /testbed/dir1/subdir1/shellscript1.sh
chmod +x /testbed/dir2/shellscript2.sh
chmod +x /testbed/dir3/subdir1/subsubdir1/shellscript3.sh
chmod +x /testbed/dir1/subdir1/subsubdir1/shellscript4.sh
chmod +x /testbed/dir2/subdir2/shellscript5.sh

## py scripts
echo -e '#!/usr/bin/env python3\nprint("Python script 1")' > /testbed/dir1/subdir1/subsubdir1/pythonscript1.py
echo -e '#!/usr/bin/env python3\nprint("Python script 2")' > /testbed/dir2/subdir2/pythonscript2.py
echo -e '#!/usr/bin/env python3\nprint("Python script 3")' > /testbed/dir3/subdir1/pythonscript3.py
echo -e '#!/usr/bin/env python3\nprint("Python script 4")' > /testbed/dir1/subdir1/pythonscript4.py
chmod +x /testbed/dir1/subdir1/subsubdir1/pythonscript1.py
chmod +x /testbed/dir2/subdir2/pythonscript2.py
chmod +x /testbed/dir3/subdir1/pythonscript3.py
chmod +x /testbed/dir1/subdir1/pythonscript4.py

## java files
echo 'public class Hello { public static void main(String[] args) { System.out.println(\"Hello world!\"); }}' > /testbed/Hello.java
echo 'public class Hello { public static void main(String[] args) { System.out.println(\"Hello world!\"); }}' > /testbed/Hello1.java
echo 'public class NewClass { public static void main(String[] args) { System.out.println(\"This is a new Java file!\"); }}' > /testbed/NewClass.java
echo 'public class FirstClass { public static void main(String[] args) { System.out.println(\"This is Java file 1!\"); }}' > /testbed/dir2/subdir1/javafile1.java
echo 'public class Hello { public static void main(String[] args) { System.out.println(\"Hello world!\"); }}' > /testbed/dir1/AnotherHello.java

## json files
echo -e '{\n  "key1": "value1",\n  "key2": "value2",\n  "key3": "value3"\n}' > /testbed/dir1/subdir1/jsonfile1.json
echo -e 'column1,column2,column3\nvalue1,value2,value3\nvalue4,value5,value6' > /testbed/dir3/subdir2/csvfile1.csv

## php files
echo '<?php echo "Hello, world!"; ?>' > /testbed/hello.php
echo '<?php phpinfo(); ?>' > /testbed/dir1/info.php

## c files
echo -e '#include <stdio.h>\nint main() {\n  printf(\"Hello, world!\");\n  return 0;\n}' > /testbed/hello.c

## FooBar files
echo "A sample file with FooBar" > /testbed/dir3/subdir1/subsubdir1/FooBar/file.txt
echo '<html><head><title>Test</title></head><body><h1>Hello, FooBar!</h1></body></html>' > /testbed/FooBar.html

## html files
echo '<html><head><title>Test</title></head><body><h1>Hello, world!</h1></body></html>' > /index.html
`,
  2: String.raw`rm -rf /system/

# directories
mkdir -p /system/folder1
mkdir -p /system/folder2
mkdir -p /system/folder3
mkdir -p /system/folder3/temp
mkdir -p /system/folder3/temp/temp1
mkdir -p /system/folder3/temp/temp1/temp
mkdir -p /system/folder3/temp/temp1/temp_1
mkdir -p /system/folder3/backup_dbg
mkdir -p /system/folder3/backup_dbg/backup
mkdir -p /system/temp

# text files
echo 'Hello world!' > /system/text1.txt
echo -e 'Another hello world file' > /system/folder1/text2.txt
echo - e 'Hello!\nAnother hello world file' > /system/folder1/text3.txt
echo -e 'Hello!\nAnother hello world file' > /system/folder1/text4.txt
echo -e 'Keep this file' > /system/folder1/keep.txt
echo -e 'Foo!\n The first line in this file is foo' > /system/text3.txt
echo -e 'The first foo file in this directory!' > /system/folder2/text1.txt
echo -e 'The file with special name' > /system/folder2/special_text1.txt
echo -e 'The second file with special name' > /system/folder2/special_text2.txt
# a file with a space in the name
echo -e 'The third file with special name' > /system/folder2/"special text3.txt"
echo -e 'The fourth file with special name' > /system/folder3/"special text4.txt"
# write a longer file with 5 lines
echo -e 'The first line\nThe second line\nThe third line\nThe fourth line;\nThe fifth line' > /system/folder3/temp/temp1/text1.txt
# a file with "_dbg" in the name
echo -e 'The first line\n\n' > /system/folder3/backup_dbg/text1_dbg.txt
# an empty file
touch /system/folder3/temp/empty.txt
touch .placeholder /system/folder3/backup_dbg/backup

# html files
echo -e '<html>\n<head>\n<title>HTML File 1</title>\n</head>\n<body>\n<h1>HTML File 1</h1>\n<p>This is the first HTML file</p>\n</body>\n</html>' > /system/html1.html

# binary *.out files
echo -e '\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00\x01\x00\x00\x00\x00\x00\x00\x00\x80\x04\x08\x00\x80\x04\x08' > /system/folder1/a.out
echo -e '\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00\x01\x00\x00\x00\x00\x00\x00\x00\x80\x04\x08\x00\x80\x04\x08' > /system/a.out
touch -m -t202304012359.00 /system/a.out

# doc files
echo -e 'This is a doc file' > /system/folder1/doc1.doc
echo -e 'This is another doc file' > /system/folder1/doc2.doc

# log files
echo -e 'This is a log file' > /system/folder1/log1.log

# sql files
echo -e 'CREATE TABLE Persons (\nPersonID int,\nLastName varchar(255),\nFirstName varchar(255),\nAddress varchar(255),\nCity varchar(255)\n);' > /system/folder3/backup_dbg/sql1.sql
touch -m -t202303012359.00 /system/folder3/backup_dbg/sql1.sql

# scripts
echo -e '#!/bin/bash\n\n# This is a script file' > /system/folder1/script1.sh
echo -e '#!/bin/bash\n\n# New script file' > /system/folder1/new.sh

# csv files
echo -e '1,2,3,4,5,6,7,8,9,10' > /system/folder1/data.csv

# .DS_Store file
touch /system/.DS_Store

# a MANIFEST file
echo "text1.txt" > /system/MANIFEST
echo "text3.txt" >> /system/MANIFEST

# zip all files in folder2 to .gz file
__lemur_pin_mtimes /system/folder2
tar -czvf /system/folder2.tar.gz /system/folder2

# some timestamp modified files
touch -m -t202305312359.59 /system/folder1/recent.txt
touch -m -t20230522359.59 /system/old.txt
touch -m -t202303012359.59 /system/folder1/old2.txt
touch -m -t202303012159.59 /system/temp/keep.txt
`,
  3: String.raw`rm -rf /workspace
rm -rf /backup

## directories
mkdir -p /backup
mkdir -p /workspace/dir1
mkdir -p /workspace/dir2
mkdir -p /workspace/dir2/mysql
mkdir -p /workspace/test
mkdir -p /workspace/test/dir1
mkdir -p /workspace/test/2dir
mkdir -p /workspace/test/3dir
mkdir -p -m 755 -d "1 year ago" /workspace/test/1dir

## c files
echo -e '#include <stdio.h>\n\nint main() {\n\tprintf("Hello, World!");\n\treturn 0;\n}' > /workspace/dir1/hello.c
echo -e '#include <stdio.h>\n\nint main() {\n\tint a, b, sum;\n\tprintf("Enter two numbers to add\\n");\n\tscanf("%d%d", &a, &b);\n\tsum = a + b;\n\tprintf("Sum of entered numbers = %d\\n",sum);\n\treturn 0;\n}' > /workspace/dir1/sum.c

## shell scripts
echo -e '#!/bin/bash\n\n# This is a script file' > /workspace/dir1/script1.sh
echo -e '#!/bin/bash\n\n# New script file' > /workspace/dir1/new1.sh 
echo -e '#!/bin/bash\n\n# New script file' > /workspace/new.sh
chmod +x /workspace/dir1/script1.sh
chmod +x /workspace/dir1/new1.sh
chmod +x /workspace/new.sh

## txt files
echo -e 'hello!' > /workspace/dir1/hello.txt
echo -e 'Another hello world file' > /workspace/dir2/foo.txt
echo -e 'hello!' > /workspace/dir2/hello.txt
echo -e 'The first line\nThe second line\nThe third line\nThe fourth line;\nThe fifth line' > /workspace/dir1/long.txt
echo -e 'The first line\nThe second line\nThe third line\nThe fourth line;\nThe fifth line\nTERMINATEThe sixth line--' > /workspace/dir1/terminate.txt
echo "/workspace/dir1" > /workspace/results.txt
echo "/workspace/dir2/foo.txt" > /workspace/files.txt
# a file with many empty lines
echo -e "The first line" > /workspace/dir1/a.txt
yes '' | head -n 10 >> /workspace/dir1/a.txt
echo -e "The first line\nThe second line\nThe third line\n" > /workspace/dir1/file.txt
echo -e "new file\n" > /backup/file.txt
# read-only file
touch /workspace/dir1/readonly.txt
chmod 400 /workspace/dir1/readonly.txt
# file with all permissions
touch /workspace/dir1/all.txt
chmod 777 /workspace/dir1/all.txt
# larger files
dd if=/dev/zero of=/workspace/dir1/file.txt bs=2K count=2
dd if=/dev/zero of=/workspace/dir1/file.c bs=1K count=2
# some timestamp modified files
touch -m -t $(date -v-1d -j -f "%Y%m%d%H%M.%S" "$(date +%Y%m%d%H%M.%S)" +%Y%m%d%H%M.%S) /workspace/recent.txt
touch -m -t202305312359.59 /workspace/recent1.txt
touch -m -t202302312359.59 /workspace/old.txt
touch -m -t202304312359.59 /workspace/old1.txt
touch -m -t202301312359.59 /workspace/old2.txt
# hidden files
echo -e 'This is a hidden file' > /workspace/dir1/.hidden1.txt
echo -e 'This is another hidden file' > /workspace/.hidden.txt

## postgresql files
echo -e 'CREATE TABLE Persons (\nPersonID int,\nLastName varchar(255),\nFirstName varchar(255),\nAddress varchar(255),\nCity varchar(255)\n);' > /workspace/dir2/mysql/sql1.sql

## archive files
__lemur_pin_mtimes /workspace
tar -czf /workspace/archive.tar.gz /workspace/dir2/foo.txt /workspace/recent.txt /workspace/dir1/new.sh 

## csv files
echo -e 'column1,column2,column3\nvalue1,value2,value3\nvalue4,value5,value6\nvalue7,values8,values9' > /workspace/dir2/csvfile1.csv
`,
  // Upstream's fourth image builds nothing: its script only sets a variable of the script's own shell.
  4: String.raw`# a dummy command
export file_system_version=4
`,
};

/** The upstream set-up script of one file system (with the mtime pins before its archives). */
export function intercodeBashUpstreamScript(fs: IntercodeBashFileSystem): string {
  return UPSTREAM_SCRIPTS[fs];
}

/**
 * The set-up cell of a task's shell: reports missing scratch directories, runs the file system's script as the image
 * build did (bash, from /, its output discarded, in a subshell so its variables and failures stay there), pins every
 * mtime it left later than the build instant, and enters / (the image's WORKDIR) for the actions.
 */
export function intercodeBashSetupScript(fs: IntercodeBashFileSystem): string {
  const dirs = INTERCODE_BASH_SCRATCH_DIRS.join(' ');
  const roots = INTERCODE_BASH_COMPARED_ROOTS.join(' ');
  return [
    `for __d in ${dirs}; do [ -d "$__d" ] && [ -w "$__d" ] || printf '%s %s\\n' '${INTERCODE_BASH_NO_SCRATCH_MARK}' "$__d"; done; unset __d`,
    '(',
    PIN_FUNCTION,
    'cd /',
    UPSTREAM_SCRIPTS[fs],
    `__lemur_pin_mtimes ${roots}`,
    ') >/dev/null 2>&1 </dev/null',
    'cd /',
  ].join('\n');
}
