/** The action's real I/O, the only place that touches `@actions/core`, `@actions/artifact` and `@actions/github`. */
import * as core from '@actions/core';
import { DefaultArtifactClient } from '@actions/artifact';
import { getOctokit } from '@actions/github';
import type { CommentsApi } from './comment.js';
import type { ActionIo } from './main.js';

/** The real I/O: `@actions/core`, `@actions/artifact`, `@actions/github`. */
export function actionsIo(): ActionIo {
  return {
    getInput: (name) => core.getInput(name),
    setSecret: (secret) => core.setSecret(secret),
    setOutput: (name, value) => core.setOutput(name, value),
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    setFailed: (message) => core.setFailed(message),
    writeSummary: async (markdown) => {
      if (!process.env['GITHUB_STEP_SUMMARY']) return;
      await core.summary.addRaw(markdown, true).write();
    },
    artifactClient: () => new DefaultArtifactClient(),
    commentsApi: (token, repository) => octokitComments(token, repository),
  };
}

function octokitComments(token: string, repository: string): CommentsApi {
  const octokit = getOctokit(token);
  const [owner = '', repo = ''] = repository.split('/');
  return {
    list: (issueNumber) =>
      octokit.paginate(octokit.rest.issues.listComments, {
        owner,
        repo,
        issue_number: issueNumber,
        per_page: 100,
      }),
    create: async (issueNumber, body) =>
      (await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body })).data,
    update: async (commentId, body) =>
      (await octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body })).data,
  };
}
